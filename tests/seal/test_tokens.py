"""Rollout text → tokens: chat template restored, environment text untrained, eos appended."""

import pytest
from transformers import AutoTokenizer

from entropy_lens.environments import policy_spans
from entropy_lens.seal.tokens import chat_prompt, encode_rollouts, stripped_messages

from seal_fixtures import CHECKPOINT, TEMPLATE_PROMPT


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(CHECKPOINT / "actor" / "huggingface")


def test_stripped_chat_prompt_gets_its_template_back(tokenizer):
    prompt = TEMPLATE_PROMPT.format(task="find the key")
    assert [m["role"] for m in stripped_messages(prompt)] == ["system", "user"]
    text, templated = chat_prompt(tokenizer, prompt)
    assert templated
    assert text.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n")
    assert text.endswith("<|im_end|>\n<|im_start|>assistant\n")


def test_prompts_with_special_tokens_or_no_roles(tokenizer):
    raw = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    assert chat_prompt(tokenizer, raw) == (raw, False)  # already templated: kept as is
    text, templated = chat_prompt(tokenizer, "What is 2 + 2?")  # plain text: one user message
    assert templated and "<|im_start|>user\nWhat is 2 + 2?<|im_end|>" in text
    assert stripped_messages("What is 2 + 2?") is None


def test_policy_tokens_are_the_policy_text_plus_eos(tokenizer):
    response = "<think>go</think><action>look</action>"
    (encoded,) = encode_rollouts(tokenizer, ["s"], [TEMPLATE_PROMPT.format(task="x")], [response])
    trained = [t for t, p in zip(encoded.input_ids, encoded.policy) if p]
    assert tokenizer.decode(trained) == response + "<|im_end|>"
    first = encoded.policy.index(True)
    assert not any(encoded.policy[:first]) and all(encoded.policy[first:])  # prompt, then the output


def test_environment_text_in_a_concatenated_output_is_context(tokenizer):
    response = "Let me search <search>keys</search><information>key in drawer</information> then <answer>drawer</answer>"
    policy, env = policy_spans(response)  # the detectors' cut
    assert [response[s:e] for s, e in env] == ["<information>key in drawer</information>"]
    (encoded,) = encode_rollouts(tokenizer, ["s"], ["Where is the key?"], [response])
    trained = tokenizer.decode([t for t, p in zip(encoded.input_ids, encoded.policy) if p])
    assert trained == "".join(response[s:e] for s, e in policy) + "<|im_end|>"
    assert "key in drawer" not in trained
    assert "key in drawer" in tokenizer.decode(encoded.input_ids)  # still there, as context


def test_long_sequences_lose_the_start_of_their_prompt(tokenizer):
    (encoded,) = encode_rollouts(tokenizer, ["s"], ["word " * 500], ["<action>look</action>"], max_length=64)
    assert len(encoded.input_ids) == 64 and encoded.n_policy == len(tokenizer("<action>look</action>")["input_ids"]) + 1

"""Rollout text → tokens: restored chat templates, environment text kept out of the policy."""

import pytest

from entropy_lens.environments import policy_spans
from entropy_lens.recompute.chat import restore_prompt, stripped_messages
from entropy_lens.recompute.encoding import encode

transformers = pytest.importorskip("transformers")

TOKENIZER = "data/demo_run/checkpoints/verl_agent_alfworld/grpo_tinyllama_demo/global_step_150/actor/huggingface"


@pytest.fixture(scope="module")
def tokenizer(demo_run):
    return transformers.AutoTokenizer.from_pretrained(demo_run.parent.parent / TOKENIZER)


class CharTokenizer:
    """One token per character; id 1 is BOS; no chat template."""

    bos_token_id, eos_token_id, chat_template = 1, 2, None

    def __call__(self, texts, add_special_tokens=True):
        bos = [1] if add_special_tokens else []
        return {"input_ids": [bos + [ord(c) for c in t] for t in texts]}


def test_stripped_prompt_gets_the_template_back(tokenizer):
    """A prompt dumped as verl does (decoded without special tokens) re-tokenises to the ids the policy saw."""
    messages = [{"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "\nYour task is to: put a mug in sinkbasin.\nusers: none"}]
    seen = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    seen_ids = tokenizer([seen], add_special_tokens=False)["input_ids"][0]
    dumped = tokenizer.decode(seen_ids, skip_special_tokens=True)
    assert "<|im_start|>" not in dumped and dumped.startswith("system\n")
    encoded, restored = encode(tokenizer, ["a"], [dumped], ["<action>look</action>"])
    assert restored == 1
    assert encoded[0].input_ids[: len(seen_ids)] == seen_ids
    assert encoded[0].policy == ((len(seen_ids), len(encoded[0].input_ids)),)


def test_prompts_that_cannot_be_proven_are_left_alone(tokenizer):
    assert restore_prompt(tokenizer, "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n") is None
    assert restore_prompt(tokenizer, "Solve: 2 + 2 =") is None
    # role lines, but the template would render other text (no system turn → a default one is added)
    assert restore_prompt(tokenizer, "user\nhi\nassistant\n") is None
    assert stripped_messages("user\nhi\nassistant\n") == [{"role": "user", "content": "hi"}]
    assert restore_prompt(CharTokenizer(), "system\nS\nuser\nU\nassistant\n") is None


def test_search_r1_information_is_context_not_policy(tokenizer):
    """One definition: the tokens marked policy are exactly the detectors' policy spans."""
    response = (
        "<think>I need the capital.</think>\n<search> capital of France </search>\n\n"
        "<information>Doc 1(Title: Paris) Paris is the capital of France.</information>\n\n"
        "<think>Found it.</think>\n<answer> Paris </answer>"
    )
    (item,), _ = encode(tokenizer, ["s"], ["Question: capital of France?"], [response])
    spans, env = policy_spans(response)
    assert len(spans) == 2 and len(env) == 1
    policy_text = [tokenizer.decode(item.input_ids[a:b]) for a, b in item.policy]
    assert policy_text == [response[a:b] for a, b in spans]
    mask = item.policy_mask()
    off_policy = tokenizer.decode([t for t, m in zip(item.input_ids, mask) if not m])
    assert "Paris is the capital" in off_policy and "<information>" in off_policy
    assert "Found it" not in off_policy


def test_chatml_turns_inside_an_output_are_context():
    response = "call A<|im_end|>\n<|im_start|>user\n<tool_response>42</tool_response><|im_end|>\n<|im_start|>assistant\nanswer 42"
    (item,), _ = encode(CharTokenizer(), ["s"], ["p"], [response])
    text = "".join(chr(t) for t, m in zip(item.input_ids, item.policy_mask()) if m)
    assert text == "call Aanswer 42"


def test_long_sequences_lose_the_prompt_start_then_the_output_end():
    tok = CharTokenizer()
    out, restored = encode(tok, ["a", "b", "c"], ["hello", "x" * 20, "p"], ["ok", "yes", "z" * 30], max_length=10)
    assert restored == 0
    assert out[0].input_ids == [1, *map(ord, "hello"), *map(ord, "ok")] and out[0].policy == ((6, 8),)
    # 21 prompt tokens + 3 response tokens > 10: the prompt loses its start, the response stays
    assert len(out[1].input_ids) == 10 and out[1].input_ids[-3:] == list(map(ord, "yes"))
    assert out[1].policy == ((7, 10),)
    # an output longer than the limit keeps one prompt token and its first 9 tokens
    assert out[2].input_ids == [ord("p")] + [ord("z")] * 9 and out[2].policy == ((1, 10),)

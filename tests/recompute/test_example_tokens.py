"""The examples' tokens: text decoded incrementally (byte tokens of one character grouped), and
entropies scored under the demo run's real checkpoint, environment text left unscored."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from entropy_lens.recompute.example_tokens import (
    CONTEXT_TOKENS,
    MAX_GROUP,
    REPLACEMENT,
    output_tokens,
    score_examples,
    token_pieces,
)

transformers = pytest.importorskip("transformers")
TEXT = "héllo 🙂 <script>alert(1)</script> & 日本語  done"


@pytest.fixture(scope="module")
def checkpoint(demo_run):
    return demo_run / "checkpoints/verl_agent_alfworld/grpo_tinyllama_demo/global_step_150/actor/huggingface"


@pytest.fixture(scope="module")
def byte_bpe(checkpoint):
    """The demo checkpoint's own tokenizer: byte-level BPE, 1,971 tokens (é is 2 tokens, 🙂 is 4)."""
    return transformers.AutoTokenizer.from_pretrained(checkpoint)


@pytest.fixture(scope="module")
def sentencepiece_like():
    """A Llama-style tokenizer (Metaspace ▁ spaces, byte fallback), trained here on a few words."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first", split=True)
    tokenizer.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    bytes_ = [f"<0x{b:02X}>" for b in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<unk>", *bytes_], initial_alphabet=["▁"])
    tokenizer.train_from_iterator(["hello world go to the kitchen"] * 20, trainer)
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>")


def test_byte_tokens_of_one_character_are_one_piece(byte_bpe):
    head = byte_bpe("prompt here ", add_special_tokens=False)["input_ids"]
    ids = head + byte_bpe(TEXT, add_special_tokens=False)["input_ids"]
    pieces = token_pieces(byte_bpe, ids, len(head))
    assert "".join(text for text, _, _ in pieces) == TEXT
    assert not any(REPLACEMENT in text for text, _, _ in pieces)
    by_text = {text: end - first for text, first, end in pieces}
    assert by_text["🙂"] == 4 and by_text["é"] == 2 and by_text["日"] == 3  # its UTF-8 bytes, one token each
    assert [(first, end) for _, first, end in pieces] == list(zip([len(head)] + [e for _, _, e in pieces[:-1]],
                                                                 [e for _, _, e in pieces]))  # contiguous
    assert pieces[-1][2] == len(ids)


def test_any_token_sequence_joins_back_to_its_decoding(byte_bpe):
    """Random ids (lone continuation bytes, cut characters, special tokens): the pieces join into
    exactly the decoded text, and no piece waits longer than MAX_GROUP tokens."""
    rng = np.random.default_rng(0)
    for _ in range(100):
        ids = rng.integers(0, len(byte_bpe), 40).tolist()
        pieces = token_pieces(byte_bpe, ids, 5)
        decoded = byte_bpe.decode(ids[5:], skip_special_tokens=False, clean_up_tokenization_spaces=False)
        assert "".join(text for text, _, _ in pieces) == decoded
        assert max(end - first for _, first, end in pieces) <= MAX_GROUP


def test_an_incomplete_character_waits_at_most_max_group_tokens(byte_bpe):
    lead = byte_bpe.convert_tokens_to_ids("ð")  # byte 0xF0: starts a 4-byte character
    ids = [lead] * (MAX_GROUP + 3)
    pieces = token_pieces(byte_bpe, ids)
    assert pieces[0][1:] == (0, MAX_GROUP) and pieces[-1][2] == len(ids)


def test_a_leading_space_survives_on_a_sentencepiece_tokenizer(sentencepiece_like):
    """Decoded alone, '▁world' loses its space; decoded after CONTEXT_TOKENS of context it keeps it."""
    tok = sentencepiece_like
    ids = tok("hello world é", add_special_tokens=False)["input_ids"]
    assert tok.convert_ids_to_tokens(ids) == ["▁hello", "▁world", "▁", "<0xC3>", "<0xA9>"]
    assert tok.decode(ids[1:2]) == "world"  # the space a lone decode drops
    pieces = token_pieces(tok, ids, 1)
    assert [text for text, _, _ in pieces] == [" world", " ", "é"]  # é: two byte-fallback tokens, one piece
    assert pieces[-1][1:] == (3, 5)
    assert CONTEXT_TOKENS >= 1


def test_environment_text_gets_no_entropy():
    class Scored:
        input_ids = np.array([1, 2, 3, 4, 5])
        is_policy = np.array([False, True, False, False, True])
        entropy = np.array([np.nan, 0.5, np.nan, np.nan, 2.0], dtype=np.float32)

    class Tokenizer:
        def decode(self, ids, **_):
            return "".join("abcde"[i - 1] for i in ids)

    assert output_tokens(Scored(), Tokenizer(), 1) == [
        {"text": "b", "entropy": [0.5]}, {"text": "c", "entropy": None}, {"text": "d", "entropy": None},
        {"text": "e", "entropy": [2.0]},
    ]


@pytest.mark.slow
def test_demo_checkpoint_scores_a_search_r1_output(checkpoint):
    """The real scoring path: policy text gets entropies in [0, ln V], the <information> block none."""
    response = ("<search>paris & <script>x</script></search><information>Doc 1: Paris</information>"
                "<answer>Paris 🙂</answer>")
    rollouts = pl.DataFrame({"sample_id": ["s1"], "step": [1], "split": ["train"], "group_id": ["g"], "reward": [1.0],
                             "prompt": ["Where is the Eiffel tower?"], "response": [response]})
    pieces = score_examples(checkpoint, rollouts, device="cpu")["s1"]
    assert "".join(p["text"] for p in pieces) == response
    context = "".join(p["text"] for p in pieces if p["entropy"] is None)
    assert context == "<information>Doc 1: Paris</information>"
    values = [v for p in pieces if p["entropy"] for v in p["entropy"]]
    assert values and all(0 <= v <= np.log(1971) + 1e-4 for v in values)
    assert [p["text"] for p in pieces if p["entropy"] and len(p["entropy"]) == 4] == ["🙂"]

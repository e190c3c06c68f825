"""The tokens of the report's example outputs, with their text and recomputed entropy.

``analyze --model`` / ``--checkpoints`` colours the tokens of the examples the report shows by
their entropy. Only those outputs are scored (a few per detector), under the last checkpoint
scored, so the work and the page grow with the examples shown, not with the run.

Token text comes from the checkpoint's own tokenizer, decoded incrementally: a byte-level BPE
token may hold part of a UTF-8 character (``ð Ł Ļ Ĥ`` are the four bytes of one emoji), so tokens
are grouped until their text ends in a whole character. The pieces, concatenated, are the
decoded output.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from entropy_lens.progress import track

#: Tokens before a piece decoded with it and cut off again: a SentencePiece tokenizer drops the
#: leading space of the first token it decodes, so a token is never decoded alone.
CONTEXT_TOKENS = 4
#: Tokens a piece may wait for the end of a character: UTF-8 needs at most 4 bytes, and a text
#: that still ends in U+FFFD after 8 tokens holds an invalid byte, shown as it decodes.
MAX_GROUP = 8
REPLACEMENT = "\ufffd"


def token_pieces(tokenizer, ids: list[int], start: int = 0) -> list[tuple[str, int, int]]:
    """``ids[start:]`` as ``(text, first, end)`` pieces: each one token, or the tokens of one character.

    Special tokens are kept as their text (``<|im_end|>``); spaces are not cleaned up, so the
    pieces join into exactly what the policy wrote.
    """

    def text(lo: int, hi: int) -> str:
        return tokenizer.decode(ids[lo:hi], skip_special_tokens=False, clean_up_tokenization_spaces=False)

    pieces = []
    prefix, read = max(0, start - CONTEXT_TOKENS), start
    for end in range(start + 1, len(ids) + 1):
        before, after = text(prefix, read), text(prefix, end)
        if after.endswith(REPLACEMENT) and end - read < MAX_GROUP and end < len(ids):
            continue  # part of a character: wait for its next byte
        new = after[len(before) :] if after.startswith(before) else text(read, end)
        pieces.append((new, read, end))
        prefix, read = read, end
    return pieces


def output_tokens(scored, tokenizer, response_start: int) -> list[dict]:
    """The output's pieces: ``{"text", "entropy"}``, ``entropy`` the nats of each policy token of
    the piece, or None for environment text (context the policy did not write)."""
    pieces = []
    for text, first, end in token_pieces(tokenizer, scored.input_ids.tolist(), response_start):
        policy = scored.is_policy[first:end]
        values = scored.entropy[first:end][policy]
        pieces.append({"text": text, "entropy": [float(v) for v in values] if policy.any() else None})
    return pieces


def score_examples(
    model_path: str | Path,
    rollouts: pl.DataFrame,
    *,
    device: str = "auto",
    device_map: str | None = None,
    dtype: str = "auto",
    trust_checkpoint: bool = False,
    max_length: int = 8192,
) -> dict[str, list[dict]]:
    """Score ``rollouts`` (the examples' outputs) under one checkpoint: ``{sample_id: output_tokens}``."""
    from entropy_lens.models import load_policy
    from entropy_lens.recompute.score_rollouts import encode_rollouts
    from entropy_lens.recompute.scoring import score

    model, tokenizer = load_policy(
        model_path, dtype=dtype, device=device, device_map=device_map, trust_checkpoint=trust_checkpoint
    )
    encoded, _ = encode_rollouts(tokenizer, rollouts, max_length=max_length)
    starts = {item.sample_id: item.response_start for item in encoded}
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    tokens = {}
    with track("Colouring example tokens", total=len(encoded)) as advance:
        for scored in score(model, encoded, pad_id=pad_id):
            tokens[scored.sample_id] = output_tokens(scored, tokenizer, starts[scored.sample_id])
            advance()
    return tokens


def with_token_entropy(run, examples: list[dict], checkpoint: str | Path, **loading) -> list[dict]:
    """``examples`` (``Diagnosis.examples()``), each with ``tokens`` scored under ``checkpoint`` and
    ``tokens_under`` naming it; ``loading`` is ``score_examples``' device/device-map/dtype/trust options."""
    keys = pl.DataFrame(
        [{"split": e["split"], "step": e["step"], "sample_id": e["sample_id"]} for e in examples],
        schema={"split": pl.Utf8, "step": pl.Int64, "sample_id": pl.Utf8},
    ).unique(maintain_order=True)
    if keys.is_empty():
        return examples
    tokens = score_examples(checkpoint, run.rollouts_of(keys), **loading)
    return [e | {"tokens": tokens.get(e["sample_id"]), "tokens_under": str(checkpoint)} for e in examples]

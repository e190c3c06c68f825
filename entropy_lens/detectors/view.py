"""The policy view of a rollouts table: the text every detector judges.

``policy_view`` adds ``_``-prefixed columns to the rollouts (a frame that already has ``_env`` is
taken as a view and returned unchanged, so ``scan`` builds it once for all detectors):

* ``_env``: environment name (``environments.ENVIRONMENTS``), recognised from the prompt or forced;
* ``_policy``: the text the policy wrote. A row with a ``turn`` number is one policy turn and is
  judged whole; a row without one may concatenate turns (verl multi-turn, Search-R1), and then
  the environment's parts are cut out and the policy parts joined with ``"\\n"``;
* ``_lower``: ``_policy`` lowercased exactly as Python's ``str.lower`` does;
* ``_env_text``: the environment text cut out of the response (null when none);
* ``_seg_policy`` / ``_seg_response``: start offset of every policy part in ``_policy`` and in
  ``response`` (null when ``_policy`` is the whole response), to map spans back.

``admissible_actions`` is filled from the prompt where null (``environments.recognised``).
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

import polars as pl

from entropy_lens.environments import CONCATENATED, policy_spans, recognised
from entropy_lens.schema import ROLLOUTS_SCHEMA, conform

_JOIN = "\n"


def policy_view(rollouts: pl.DataFrame, *, env: str | None = None) -> pl.DataFrame:
    """The rollouts with the policy-text columns above (see the module docstring)."""
    if "_env" in rollouts.columns:
        return rollouts
    rows = conform(rollouts, ROLLOUTS_SCHEMA) if rollouts.height else pl.DataFrame(schema=ROLLOUTS_SCHEMA)
    frame = rows.with_row_index("_row")
    frame = recognised(
        frame.with_columns(
            pl.coalesce("sample_id", pl.format("row{}", "_row")).alias("sample_id"),
            pl.col("prompt").fill_null(""),
            pl.col("response").fill_null(""),
        ),
        env,
    )
    frame = _cut_environment_text(frame)
    return frame.with_columns(_lower=_lowercase(frame["_policy"])).drop("_row")


def _cut_environment_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Fill ``_policy``, ``_env_text`` and the segment offsets (Python only on concatenated rows)."""
    candidate = pl.col("turn").is_null() & pl.col("response").str.contains(CONCATENATED)
    rows = frame.select(pl.arg_where(candidate)).to_series()
    cut = [(row, *_cut(response)) for row, response in zip(rows.to_list(), frame["response"].gather(rows).to_list())]
    cut = [c for c in cut if c[2] is not None]
    if not cut:  # the common case: nothing to cut, no join
        return frame.with_columns(
            pl.col("response").alias("_policy"),
            pl.lit(None, pl.Utf8).alias("_env_text"),
            *(pl.lit(None, pl.List(pl.Int64)).alias(c) for c in ("_seg_policy", "_seg_response")),
        )
    patch = pl.DataFrame(
        {"_row": [c[0] for c in cut], **{name: [c[i] for c in cut] for i, name in enumerate(_CUT_COLUMNS, 1)}},
        schema={"_row": pl.UInt32} | _CUT_COLUMNS,
    )
    joined = frame.join(patch, on="_row", how="left", maintain_order="left")
    return joined.with_columns(pl.coalesce("_policy", "response").alias("_policy"))


_CUT_COLUMNS = {
    "_policy": pl.Utf8,
    "_env_text": pl.Utf8,
    "_seg_policy": pl.List(pl.Int64),
    "_seg_response": pl.List(pl.Int64),
}


def _cut(response: str) -> tuple[str | None, str | None, list[int] | None, list[int] | None]:
    """``_policy``, ``_env_text`` and the segment offsets of one concatenated output (nulls when
    it holds no environment text after all)."""
    spans, env = policy_spans(response)
    if not env:
        return None, None, None, None
    parts = [response[a:b] for a, b in spans]
    starts = list(accumulate((len(p) + len(_JOIN) for p in parts[:-1]), initial=0))
    return _JOIN.join(parts), _JOIN.join(response[a:b] for a, b in env), starts, [a for a, _ in spans]


def _lowercase(texts: pl.Series) -> pl.Series:
    """``str.lower`` of every text: polars for ASCII rows, Python for the others (exact)."""
    lowered = texts.str.to_lowercase()
    other = (texts.str.len_bytes() != texts.str.len_chars()).arg_true()
    if other.len():
        exact = [t.lower() for t in texts.gather(other).to_list()]
        lowered = lowered.scatter(other, pl.Series(exact, dtype=pl.Utf8))
    return lowered


def segments(policy: str, seg_policy: list[int] | None) -> list[tuple[int, str]]:
    """The policy parts of one row as ``(offset in _policy, text)``; one part when not cut."""
    if not seg_policy:
        return [(0, policy)]
    ends = [s - len(_JOIN) for s in seg_policy[1:]] + [len(policy)]
    return [(s, policy[s:e]) for s, e in zip(seg_policy, ends)]


def to_response(span: tuple[int, int], seg_policy: list[int] | None, seg_response: list[int] | None) -> tuple[int, int]:
    """Map a ``(start, end)`` span in ``_policy`` to offsets in ``response``."""
    if not seg_policy or not seg_response:
        return span

    def one(pos: int) -> int:
        part = max(bisect_right(seg_policy, pos) - 1, 0)
        return seg_response[part] + pos - seg_policy[part]

    return one(span[0]), one(max(span[1] - 1, span[0])) + (1 if span[1] > span[0] else 0)


def candidates(
    view: pl.DataFrame, condition: pl.Expr, *names: str, confirm: pl.Expr | None = None
) -> tuple[list[int], list[list]]:
    """Row numbers where ``condition`` holds (and then ``confirm``, a dearer test run on those rows
    only), and those rows of columns ``names`` as Python lists: the per-row checks of the rule
    detectors run after these vectorised prefilters."""
    rows = view.select(pl.arg_where(condition)).to_series()
    if confirm is not None and rows.len():
        rows = rows.filter(view.select(pl.col(confirm.meta.root_names()).gather(rows)).select(confirm).to_series())
    return rows.to_list(), [view.get_column(name).gather(rows).to_list() for name in names]


def ascii_text() -> pl.Expr:
    """Whether ``_policy`` is pure ASCII (then ``_lower`` is its ASCII lowercase)."""
    return pl.col("_policy").str.len_bytes() == pl.col("_policy").str.len_chars()


def python_like(pattern: str) -> str:
    """A Rust regex that finds at least what the Python ``pattern`` finds, for prefilters on any
    text (pass the text through ``python_case``): Rust's ``\\b`` and ``\\w`` are not Python's
    (combining marks, ``½``), so ``\\b`` is dropped and ``\\w`` widened to ``\\S``; Python's ``\\s``
    also holds ``\\x1c``-``\\x1f``. (No ``\\w`` in a negated class.)"""
    return pattern.replace(r"\b", "").replace(r"\w", r"\S").replace(r"\s", r"[\s\x1c-\x1f]")


def python_case(text: pl.Expr) -> pl.Expr:
    """``text`` with ``İ`` and ``ı`` as ``i``: under Python's ``re.IGNORECASE`` they match ``i``, under Rust's ``(?i)`` not."""
    return text.str.replace_all("[İı]", "i")

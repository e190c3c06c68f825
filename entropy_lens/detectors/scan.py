"""``scan``: every detector on every policy output, per-step rates, group signals and onsets.

Rollouts are processed in batches of whole steps (GRPO groups and trajectories never straddle a
batch); each batch's per-step table is computed at once and only its flags and numeric values
are kept, so ``scan_run`` on a run larger than memory holds a few batches at a time (the threads
plus one read ahead), never the run.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from entropy_lens.detectors.base import (
    DETECTOR_NAMES,
    FINDINGS_SCHEMA,
    COMPANION_FLAGS,
    HALLUCINATION_PARTS,
    NUMERIC,
    PATTERNS,
    get_detector,
)
from entropy_lens.detectors.groups import GROUP_SIGNALS, group_signals
from entropy_lens.detectors.hallucination import PaperHallucination, combine
from entropy_lens.detectors.measures import with_measures
from entropy_lens.detectors.onsets import onsets, primary_split
from entropy_lens.detectors.view import policy_view
from entropy_lens.progress import track
from entropy_lens.rollout_store import RolloutStore
from entropy_lens.run import Run
from entropy_lens.schema import ROLLOUTS_SCHEMA, conform

_KEYS = ["step", "split"]
#: The long ``findings`` table.
LONG_SCHEMA = {"sample_id": pl.Utf8, "step": pl.Int64, "split": pl.Utf8, "detector": pl.Utf8} | {
    k: v for k, v in FINDINGS_SCHEMA.items() if k != "sample_id"
}


@dataclass
class ScanResult:
    """What ``scan`` found.

    ``findings``: one row per flag (output, detector) with its evidence, and one per output and
    numeric companion (``base.NUMERIC``, flagged or not): ``sample_id, step, split, detector,
    flagged, score, evidence, span_start, span_end``. ``per_step``: one row per (step, split): ``n``, one
    column per detector (DESIGN §2: for a pattern the share of the step's outputs flagged, for a
    numeric companion the mean of its per-output values), ``<companion>_flag`` (share over the
    threshold, for ``base.COMPANION_FLAGS``) and ``GROUP_SIGNALS``. ``onsets``: ``{pattern: step}`` for the patterns
    run (``base.PATTERNS``; numeric companions are values, not patterns), read from ``split``
    (``onsets.primary_split``); ``onsets_by_split`` for every split.
    """

    findings: pl.DataFrame
    per_step: pl.DataFrame
    onsets: dict[str, int | None]
    detectors: list[str]
    split: str | None = None
    onsets_by_split: dict[str, dict[str, int | None]] = field(default_factory=dict)
    environments: dict[str, int] = field(default_factory=dict)

    def to_pandas(self) -> dict:
        """``findings`` and ``per_step`` as pandas DataFrames."""
        return {"findings": self.findings.to_pandas(), "per_step": self.per_step.to_pandas()}

    def to_dict(self) -> dict:
        """The ``scan --json`` object (DESIGN §2), also embedded in ``diagnosis.json``."""
        flagged = self.findings.filter("flagged").group_by("detector").len()
        counts = dict(zip(flagged["detector"].to_list(), flagged["len"].to_list()))
        return {
            "detectors": self.detectors,
            "n_outputs": int(self.per_step["n"].sum()) if self.per_step.height else 0,
            "per_step": self.per_step.to_dicts(),
            "onsets": self.onsets,
            "onsets_split": self.split,
            "onsets_by_split": self.onsets_by_split,
            # outputs flagged, for every detector that can flag (not a companion without a threshold)
            "flagged": {n: counts.get(n, 0) for n in self.detectors if n not in NUMERIC or n in COMPANION_FLAGS},
            "environments": self.environments,
            "group_signals": list(GROUP_SIGNALS),
        }


def scan(
    rollouts: pl.DataFrame,
    *,
    detectors: list[str] | None = None,
    env: str | None = None,
    batch_rows: int = 8192,
) -> ScanResult:
    """Run ``detectors`` (default: all of ``DETECTOR_NAMES``) over ``rollouts`` held in memory.

    Args:
        rollouts: ``schema.ROLLOUTS_SCHEMA`` rows, one per policy output.
        detectors: names to run, in output order.
        env: force the environment format (``environments.ENVIRONMENTS``) instead of recognising it.
        batch_rows: rows per batch (whole steps are kept together); batches run on polars'
            thread count (``POLARS_MAX_THREADS``) at once.

    Raises:
        ValueError: an unknown detector or environment name.
    """
    rows = conform(rollouts, ROLLOUTS_SCHEMA) if rollouts.height else pl.DataFrame(schema=ROLLOUTS_SCHEMA)
    return scan_batches(RolloutStore([rows.lazy()]).batches(batch_rows), detectors=detectors, env=env)


def scan_run(
    run: Run, *, detectors: list[str] | None = None, env: str | None = None, batch_rows: int = 8192
) -> ScanResult:
    """``scan`` over ``run.rollout_batches``: bounded memory however large the run's dumps are."""
    with track("Scanning outputs", total=run.n_rollouts) as advance:

        def counted() -> Iterator[pl.DataFrame]:
            for batch in run.rollout_batches(batch_rows):
                yield batch
                advance(batch.height)

        return scan_batches(counted(), detectors=detectors, env=env)


def scan_batches(
    batches: Iterable[pl.DataFrame], *, detectors: list[str] | None = None, env: str | None = None
) -> ScanResult:
    """``scan`` over batches that each hold whole (step, split) blocks (arguments as ``scan``)."""
    names = list(detectors) if detectors is not None else list(DETECTOR_NAMES)
    unknown = [name for name in names if name not in DETECTOR_NAMES]
    if unknown:
        raise ValueError(f"unknown detector(s) {', '.join(unknown)}; choose from {', '.join(DETECTOR_NAMES)}")
    workers = max(pl.thread_pool_size(), 1)
    with ThreadPoolExecutor(workers) as pool:
        done = list(_bounded_map(pool, workers, lambda batch: _scan_batch(batch, names, env), batches))
    envs = Counter(e for _, _, batch_envs in done for e in batch_envs)
    findings = pl.concat([f for f, _, _ in done]) if done else pl.DataFrame(schema=LONG_SCHEMA)
    per_step = (
        pl.concat([p for _, p, _ in done], how="vertical_relaxed").sort("split", "step", nulls_last=True)
        if done
        else _per_step(pl.DataFrame(schema=LONG_SCHEMA), names, None)
    )
    patterns = [name for name in names if name in PATTERNS]
    by_split = {s: onsets(per_step, patterns, s) for s in per_step["split"].unique().to_list()}
    split = primary_split(per_step)
    found = by_split.get(split, dict.fromkeys(patterns))
    return ScanResult(findings, per_step, found, names, split, by_split, dict(envs))


def _bounded_map(pool: ThreadPoolExecutor, workers: int, function: Callable, items: Iterable) -> Iterator:
    """``pool.map`` that reads ``items`` at most one ahead of the ``workers`` (``map`` reads all)."""
    pending: deque = deque()
    for item in items:
        pending.append(pool.submit(function, item))
        if len(pending) > workers:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _scan_batch(batch: pl.DataFrame, names: list[str], env: str | None) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Kept findings (flags and numeric values), the per-step table and environment names of one batch."""
    view = policy_view(batch, env=env)
    view, grams = with_measures(view)
    findings = _findings(view, names)
    per_step = _per_step(findings, names, group_signals(view, grams))
    kept = findings.filter(pl.col("flagged") | pl.col("detector").is_in(NUMERIC))
    return kept, per_step, view["_env"].to_list()


def _findings(view: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Long findings of one batch for ``names`` (hallucination combines its parts, run once)."""
    combined = ("hallucination", "paper_hallucination")
    wanted = [n for n in names if n not in combined]
    if "hallucination" in names:
        wanted += [p for p in HALLUCINATION_PARTS if p not in wanted]
    if "paper_hallucination" in names and "contradictory_rambling" not in wanted:
        wanted.append("contradictory_rambling")
    results = {name: get_detector(name).detect(view) for name in wanted}
    if "hallucination" in names:
        results["hallucination"] = combine(results)
    if "paper_hallucination" in names:
        results["paper_hallucination"] = PaperHallucination().from_rambling(view, results["contradictory_rambling"])
    keys = view.select(_KEYS)
    return pl.concat(
        [pl.concat([keys, results[n].with_columns(detector=pl.lit(n))], how="horizontal") for n in names]
    ).select(list(LONG_SCHEMA))


def _per_step(findings: pl.DataFrame, names: list[str], signals: pl.DataFrame | None) -> pl.DataFrame:
    """Wide per-step table: n, per detector its flagged share (patterns) or mean value
    (companions), companions' flag shares, group signals."""
    flags = [f"{n}_flag" for n in COMPANION_FLAGS if n in names]
    ordered = [*_KEYS, "n", *names, *flags, *(GROUP_SIGNALS if signals is not None else ())]
    if findings.is_empty():
        return pl.DataFrame(
            schema={c: pl.Float64 for c in ordered} | {"step": pl.Int64, "split": pl.Utf8, "n": pl.UInt32}
        )
    numeric = pl.col("detector").is_in(NUMERIC)
    grouped = findings.group_by([*_KEYS, "detector"]).agg(
        n=pl.len(), value=pl.when(numeric.first()).then(pl.col("score").mean()).otherwise(pl.col("flagged").mean())
    )
    flagged = findings.filter(pl.col("detector").is_in(COMPANION_FLAGS)).group_by([*_KEYS, "detector"])
    shares = flagged.agg(value=pl.col("flagged").mean()).with_columns(pl.col("detector") + "_flag")
    wide = pl.concat([grouped.drop("n"), shares], how="vertical_relaxed").pivot(
        on="detector", index=_KEYS, values="value"
    )
    counts = grouped.group_by(_KEYS).agg(pl.col("n").max())
    table = counts.join(wide, on=_KEYS, nulls_equal=True)
    if signals is not None:
        table = table.join(signals, on=_KEYS, how="left", nulls_equal=True)
    return table.select(ordered).sort("split", "step", nulls_last=True)

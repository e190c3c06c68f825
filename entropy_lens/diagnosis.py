"""Run the analyses in order and collect one ``Diagnosis``.

Data flows one way: ``Run`` → phases (on the entropy series) and degeneracy scan (on the
rollouts) → persistence (joins the two as plain data) → ``Diagnosis``. A stage that cannot run
(no entropy metric, no rollouts) is skipped with a note; it never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import polars as pl

from entropy_lens.detectors import ScanResult, scan_run
from entropy_lens.detectors.base import PATTERNS
from entropy_lens.errors import EntropyLensError
from entropy_lens.persistence import persistence
from entropy_lens.phases import PhaseResult, align_cosignals, phases_of_run
from entropy_lens.recommendation import recommend
from entropy_lens.run import Run
from entropy_lens.summary import summarize

#: Bump when the layout of ``diagnosis.json`` changes incompatibly.
DIAGNOSIS_VERSION = 2  #: 2: persistence judged per cycle against the base rate (pre_rate/post_rate gone)


@dataclass
class Diagnosis:
    """Everything ``analyze`` found in one run."""

    run: Run
    phases: PhaseResult | None = None
    cosignals: list[dict] = field(default_factory=list)
    scan: ScanResult | None = None
    persistence: list[dict] = field(default_factory=list)
    #: hidden-state separation and recomputed entropy under checkpoints (``analyze --model/--checkpoints``)
    separation: dict | None = None
    notes: list[str] = field(default_factory=list)  #: stages skipped, and why
    #: where to start a SEAL fine-tune (``recommendation.recommend``)
    recommendation: dict | None = None

    def to_dict(self) -> dict:
        """The JSON object written to ``diagnosis.json``."""
        from entropy_lens import __version__

        return {
            "version": DIAGNOSIS_VERSION,
            "tool": f"entropy-lens {__version__}",
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "run": summarize(self.run),
            "phases": self.phases.to_dict() if self.phases else None,
            "cosignals": self.cosignals,
            "scan": self.scan.to_dict() if self.scan else None,
            "persistence": self.persistence,
            "separation": self.separation,
            "recommendation": self.recommendation,
            "checkpoints": self.run.checkpoints.to_dicts(),
            "notes": self.run.notes + self.notes,
            "headline": self.headline(),
        }

    def headline(self) -> list[str]:
        """Three short sentences: the run's pattern, its cycles, and what it acquired."""
        lines = []
        if self.phases:
            cycles = self.phases.cycles
            verdict = self.phases.verdict[:1].upper() + self.phases.verdict[1:]
            lines.append(f"{verdict} ({self.phases.pattern}, {self.phases.n_steps} logged steps).")
            if cycles:
                lines.append(_peaks_line(self.phases.metric, cycles))
        lines += self._pattern_lines()
        if self.separation and self.separation["overall"].get("probe_auroc") is not None:
            from entropy_lens.separation.early_warning import separation_note  # sklearn loads only when needed

            overall = self.separation["overall"]
            lines.append(
                f"Hidden-state separation of correct vs incorrect outputs under the checkpoint: held-out "
                f"probe AUROC {overall['probe_auroc']:.2f} (n = {overall['n']})."
                + separation_note(self.separation)
            )
        return lines or self.notes[:1]

    def _pattern_lines(self) -> list[str]:
        """What the scan found: the patterns that persisted, else what was flagged at all."""
        if self.scan is None:
            return []
        persisted = [p for p in self.persistence if p.get("persisted")]
        if persisted:
            named = "; ".join(_persisted_phrase(p) for p in persisted)
            return [
                "Acquired in an eruption and persisted (share flagged before the first eruption → at the end): "
                f"{named}."
            ]
        total = int(self.scan.per_step["n"].sum()) if self.scan.per_step.height else 0
        flagged = self.scan.findings.filter(pl.col("flagged") & pl.col("detector").is_in(PATTERNS))
        counts = dict(flagged.group_by("detector").len().iter_rows())
        if not counts:
            return [f"No degenerate pattern flagged in {total} outputs."]
        named = ", ".join(f"{name} in {counts[name]} of {total} outputs" for name in PATTERNS if name in counts)
        judged = any(p.get("persisted") is not None for p in self.persistence)
        none_kept = " (none acquired in an eruption and persisted)" if judged else ""
        return [f"Degenerate patterns flagged{none_kept}: {named}."]

    def eruption_windows(self) -> list[tuple[int, int, str]]:
        """``(first step, last step, label)`` of every cycle's eruption and decay, e.g. ``eruption C1``."""
        windows = []
        for i, cycle in enumerate(self.phases.cycles if self.phases else [], start=1):
            windows.append((cycle.onset_step, cycle.peak_step, f"eruption C{i}"))
            windows.append((cycle.peak_step + 1, cycle.end_step, f"decay C{i}"))
        return windows

    def examples(self, per_detector: int = 3) -> list[dict]:
        """Flagged outputs to show, a few per detector: from eruptions first, then decays, then the
        rest (when the run has eruptions), the highest-scoring first within each."""
        if self.scan is None or self.scan.findings.is_empty():
            return []
        windows = self.eruption_windows()
        phase = pl.lit(None, dtype=pl.Utf8)
        for lo, hi, label in reversed(windows):
            phase = pl.when(pl.col("step").is_between(lo, hi)).then(pl.lit(label)).otherwise(phase)
        rank = pl.when(pl.col("phase").str.starts_with("eruption")).then(0)
        rank = rank.when(pl.col("phase").is_not_null()).then(1).otherwise(2)
        flagged = (
            self.scan.findings.filter(pl.col("flagged"))
            .with_columns(phase.alias("phase"))
            .sort(rank, -pl.col("score"), "step", "sample_id", nulls_last=True)
            .group_by("detector", maintain_order=True)
            .head(per_detector)
        )
        wanted = pl.col("sample_id").is_in(flagged["sample_id"].unique().to_list())
        responses = self.run.rollouts_lazy.filter(wanted).select("sample_id", "response").collect()
        return flagged.join(responses.unique("sample_id"), on="sample_id", how="left").to_dicts()


def _peaks_line(metric: str, cycles: list, shown: int = 4) -> str:
    """``Eruption peaks: step 73 (+1.43 nats), …`` (nats only for an entropy metric)."""
    unit = " nats" if "entropy" in metric else ""
    peaks = ", ".join(f"step {c.peak_step} (+{c.amplitude:.2f}{unit})" for c in cycles[:shown])
    more = f" (the first {shown} of {len(cycles)})" if len(cycles) > shown else ""
    return f"Eruption peaks{more}: {peaks}."


def _persisted_phrase(record: dict) -> str:
    """``sentence_dup 2.1% → 30.3% (rose after C1, C2)``: base rate, final rate and the cycles."""
    cycles = ", ".join(f"C{i + 1}" for i in record["acquired_in"])
    return f"{record['detector']} {record['base_rate']:.1%} → {record['final_rate']:.1%} (rose after {cycles})"


def diagnose(
    run: Run,
    *,
    metric: str = "entropy",
    sensitivity: float = 1.0,
    env: str | None = None,
) -> Diagnosis:
    """Phases of ``metric``, the degeneracy scan and persistence of every pattern.

    Args:
        run: what ``read_run`` returned.
        metric: the series to segment (canonical or raw name).
        sensitivity: >1 finds more, smaller eruptions; <1 fewer (scales the penalty).
        env: force the environment format for the detectors (else recognised from prompts).
    """
    diagnosis = Diagnosis(run=run)
    try:
        diagnosis.phases = phases_of_run(run, metric, sensitivity=sensitivity)
        diagnosis.cosignals = align_cosignals(run.metrics, diagnosis.phases)
    except EntropyLensError as skipped:
        diagnosis.notes.append(f"Phases skipped: {skipped}")
    if run.n_rollouts:
        diagnosis.scan = scan_run(run, env=env)
        cycles = diagnosis.phases.to_dict()["cycles"] if diagnosis.phases else []
        diagnosis.persistence = persistence(diagnosis.scan.per_step, cycles)
    else:
        diagnosis.notes.append("Degeneracy scan skipped: the run has no rollout or validation dumps.")
    diagnosis.recommendation = recommend(run, diagnosis.phases)
    return diagnosis

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
from entropy_lens.errors import EntropyLensError
from entropy_lens.persistence import persistence
from entropy_lens.phases import PhaseResult, align_cosignals, phases_of_run
from entropy_lens.recommendation import recommend
from entropy_lens.run import Run
from entropy_lens.summary import summarize

#: Bump when the layout of ``diagnosis.json`` changes incompatibly.
DIAGNOSIS_VERSION = 1


@dataclass
class Diagnosis:
    """Everything ``analyze`` found in one run."""

    run: Run
    phases: PhaseResult | None = None
    cosignals: list[dict] = field(default_factory=list)
    scan: ScanResult | None = None
    persistence: list[dict] = field(default_factory=list)
    #: hidden-state separation and recomputed entropy under one checkpoint (``analyze --model``)
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
            lines.append(
                f"Entropy pattern: {self.phases.pattern} ({len(cycles)} eruption cycle"
                f"{'s' if len(cycles) != 1 else ''} over {self.phases.n_steps} logged steps)."
            )
            if cycles:
                peaks = ", ".join(f"step {c.peak_step} (+{c.amplitude:.2f} nats)" for c in cycles[:4])
                lines.append(f"Eruption peaks: {peaks}.")
        persisted = [p for p in self.persistence if p.get("persisted")]
        if persisted:
            named = ", ".join(f"{p['detector']} (from step {p['onset_step']})" for p in persisted)
            lines.append(f"Acquired and persisted: {named}.")
        elif self.scan is not None:
            onsets = {k: v for k, v in self.scan.onsets.items() if v is not None}
            lines.append(
                "Degenerate patterns: "
                + (", ".join(f"{k} from step {v}" for k, v in onsets.items()) or "none flagged")
                + "."
            )
        if self.separation and self.separation["overall"].get("probe_auroc") is not None:
            overall = self.separation["overall"]
            lines.append(
                f"Hidden-state separation of correct vs incorrect outputs under the checkpoint: held-out "
                f"probe AUROC {overall['probe_auroc']:.2f} (n = {overall['n']})."
            )
        return lines or self.notes[:1]

    def examples(self, per_detector: int = 3) -> list[dict]:
        """Flagged outputs to show, the highest-scoring first, a few per detector."""
        if self.scan is None or self.scan.findings.is_empty():
            return []
        flagged = (
            self.scan.findings.filter(pl.col("flagged"))
            .sort("score", descending=True)
            .group_by("detector", maintain_order=True)
            .head(per_detector)
        )
        wanted = pl.col("sample_id").is_in(flagged["sample_id"].unique().to_list())
        responses = self.run.rollouts_lazy.filter(wanted).select("sample_id", "response").collect()
        return flagged.join(responses.unique("sample_id"), on="sample_id", how="left").to_dicts()


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

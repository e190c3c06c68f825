"""The early-warning question: does separation fall before an eruption?

For each eruption onset, the checkpoints saved at or before the onset are compared: the last one
("just before") against the mean of the earlier ones. All are scored on the same outputs, so only
the weights differ. A change counts only when it exceeds ``Z`` standard errors of the
just-before AUROC (Hanley & McNeil 1982, from its class counts): smaller moves are reported as no
clear change. With fewer than two checkpoints before an onset nothing is claimed.
"""

from __future__ import annotations

import math

#: standard errors a change of probe AUROC must exceed to be called a fall or a rise
Z = 2.0


def auroc_standard_error(auroc: float, n_pos: int, n_neg: int) -> float:
    """Hanley–McNeil standard error of an AUROC from ``n_pos`` positives and ``n_neg`` negatives."""
    q1, q2 = auroc / (2 - auroc), 2 * auroc**2 / (1 + auroc)
    variance = (auroc * (1 - auroc) + (n_pos - 1) * (q1 - auroc**2) + (n_neg - 1) * (q2 - auroc**2)) / (n_pos * n_neg)
    return math.sqrt(max(variance, 0.0))


def early_warning(by_checkpoint: list[dict], onsets: list[int]) -> dict:
    """Per eruption onset: ``fell``, ``rose``, ``no clear change`` or ``cannot tell``; and one sentence.

    Args:
        by_checkpoint: ``{step, probe_auroc, n_correct, n_incorrect}`` per checkpoint.
        onsets: eruption onset steps (``phases`` cycles).
    """
    scored = sorted((c for c in by_checkpoint if c.get("probe_auroc") is not None), key=lambda c: c["step"])
    per_onset = [_one_onset(scored, onset) for onset in onsets]
    return {"z": Z, "eruptions": per_onset, "sentence": _sentence(per_onset, len(scored))}


def _one_onset(scored: list[dict], onset: int) -> dict:
    before = [c for c in scored if c["step"] <= onset]
    if len(before) < 2:
        return {"onset_step": onset, "verdict": "cannot tell", "checkpoints_before": len(before)}
    last, earlier = before[-1], before[:-1]
    baseline = sum(c["probe_auroc"] for c in earlier) / len(earlier)
    change = last["probe_auroc"] - baseline
    error = auroc_standard_error(last["probe_auroc"], last["n_correct"], last["n_incorrect"])
    verdict = "fell" if change < -Z * error else "rose" if change > Z * error else "no clear change"
    return {
        "onset_step": onset,
        "verdict": verdict,
        "checkpoints_before": len(before),
        "last_step": last["step"],
        "last_auroc": last["probe_auroc"],
        "earlier_steps": [c["step"] for c in earlier],
        "earlier_mean_auroc": baseline,
        "change": change,
        "standard_error": error,
    }


def _sentence(per_onset: list[dict], n_scored: int) -> str:
    if not per_onset:
        return "No eruption was found, so there is nothing separation could warn of."
    judged = [e for e in per_onset if e["verdict"] != "cannot tell"]
    if not judged:
        return (
            f"Cannot tell whether separation falls before an eruption: no eruption onset has two scored "
            f"checkpoints at or before it ({n_scored} checkpoint{'s' if n_scored != 1 else ''} scored)."
        )
    fell = [e for e in judged if e["verdict"] == "fell"]
    parts = [
        f"step {e['onset_step']}: {e['verdict']} (probe AUROC {e['earlier_mean_auroc']:.2f} → "
        f"{e['last_auroc']:.2f} at checkpoint {e['last_step']}, ±{e['standard_error']:.2f})"
        for e in judged
    ]
    return (
        f"Separation fell before {len(fell)} of {len(judged)} eruption(s) that have two or more checkpoints "
        f"before their onset — " + "; ".join(parts) + "."
    )


def separation_note(separation: dict) -> str:
    """The headline's tail: the text-only control beside the probe, and the early-warning sentence."""
    text = (separation.get("text_control") or {}).get("probe_auroc")
    probe = (separation.get("overall") or {}).get("probe_auroc")
    note = ""
    if text is not None and probe is not None:
        note = f" A text-only probe on the same outputs reaches {text:.2f}: the model adds {probe - text:+.2f}."
    warning = (separation.get("early_warning") or {}).get("sentence")
    if warning and len(separation.get("by_checkpoint") or []) > 1:
        note += f" {warning}"
    return note

"""``diagnosis.json`` → the plain rows each section of the report shows.

Every key of the diagnosis may be missing or null, and lists may hold malformed entries (a
hand-edited or older file): each function here takes what is there, drops what cannot be shown,
and never raises on shape. Steps are logged steps; cycles are numbered from 1 (``C1``), as in
the figures.
"""

from __future__ import annotations

from pathlib import PurePath

from entropy_lens.detectors.base import NUMERIC
from entropy_lens.report.series import is_number, whole

#: Co-signals that are shares of outputs: their change is shown in percentage points.
SHARES = ("truncation", "success")
#: A relative change is shown only when the level before is at least this share of the larger
#: level (a change of at most 10×); from a base near 0 it would read +39,915%.
RELATIVE_BASE = 0.1

PHASE_KEYS = ("start_step", "end_step")
CYCLE_KEYS = ("onset_step", "peak_step", "end_step")


def as_dict(value) -> dict:
    """``value`` if it is a dict, else ``{}``."""
    return value if isinstance(value, dict) else {}


def rows(value) -> list[dict]:
    """The dict entries of ``value`` if it is a list, else ``[]``."""
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def texts(value) -> list[str]:
    """The strings in ``value`` if it is a list, else ``[]``."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _with_steps(entries: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """Entries whose ``keys`` are all steps, with those keys as ints, sorted by the first."""
    kept = []
    for entry in entries:
        steps = {key: whole(entry.get(key)) for key in keys}
        if None not in steps.values():
            kept.append({**entry, **steps})
    return sorted(kept, key=lambda entry: entry[keys[0]])


def phases_of(diagnosis: dict) -> dict:
    """The ``phases`` object with only well-formed phases, cycles and change points; ``{}`` if none."""
    phases = as_dict(diagnosis.get("phases"))
    if not phases:
        return {}
    labelled = [p for p in rows(phases.get("phases")) if isinstance(p.get("label"), str)]
    changes = phases.get("change_points") if isinstance(phases.get("change_points"), list) else []
    return {
        **phases,
        "metric": phases.get("metric") if isinstance(phases.get("metric"), str) else "entropy",
        "phases": _with_steps(labelled, PHASE_KEYS),
        "cycles": _with_steps(rows(phases.get("cycles")), CYCLE_KEYS),
        "change_points": sorted(s for s in map(whole, changes) if s is not None),
    }


def header(diagnosis: dict, phases: dict) -> dict:
    """Title block: what run, which format, which steps, the pattern and the headline."""
    run = as_dict(diagnosis.get("run"))
    path = run.get("path") if isinstance(run.get("path"), str) else None
    chosen = run.get("name") if isinstance(run.get("name"), str) and run.get("name") else None
    folder = PurePath(path).name if path else None
    return {
        "name": chosen or folder or "run",  # the run chosen with --run, else the folder
        "title": PurePath(chosen).name if chosen else folder or "run",
        "run_name": chosen,
        "path": path,
        "format": run.get("source_format"),
        "step_min": whole(run.get("step_min")),
        "step_max": whole(run.get("step_max")),
        "n_steps": whole(run.get("n_steps")),
        "n_metrics": len(run["metrics"]) if isinstance(run.get("metrics"), list) else None,
        "n_rollouts": whole(run.get("n_rollouts")),
        "pattern": phases.get("pattern"),
        "metric": phases.get("metric"),
        "headline": texts(diagnosis.get("headline")),
        "tool": diagnosis.get("tool"),
        "generated_at": diagnosis.get("generated_at"),
    }


def detectors_of(scan: dict, persistence: list[dict]) -> list[str]:
    """Detector names in the scan's order, then any only the onsets or persistence name."""
    names = texts(scan.get("detectors"))
    names += [d for d in as_dict(scan.get("onsets")) if isinstance(d, str)]
    names += [p["detector"] for p in persistence if isinstance(p.get("detector"), str)]
    return list(dict.fromkeys(names))


def flag_counts(scan: dict) -> dict[str, int]:
    """``{detector: outputs flagged}`` as the scan counted them (``{}`` when it did not)."""
    counts = as_dict(scan.get("flagged"))
    return {name: int(n) for name, n in counts.items() if isinstance(name, str) and whole(n) is not None}


def pattern_summary(scan: dict, persistence: list[dict]) -> list[dict]:
    """One entry per pattern the scan ran or persistence judged: outputs flagged, onset step,
    inside an eruption?, base and final rates, the cycles that raised it, verdict and persisted.
    Numeric companions (``detectors.base.NUMERIC``) are values, not patterns: see ``companions``."""
    onsets = as_dict(scan.get("onsets"))
    counts = flag_counts(scan)
    by_detector = {p.get("detector"): p for p in persistence}
    found = []
    for name in detectors_of(scan, persistence):
        if name in NUMERIC:
            continue
        kept = by_detector.get(name, {})
        acquired = kept.get("acquired_in") if isinstance(kept.get("acquired_in"), list) else []
        found.append(
            {
                "detector": name,
                "n_flagged": counts.get(name),
                "onset_step": whole(kept.get("onset_step")) if kept else whole(onsets.get(name)),
                "in_eruption": kept.get("onset_in_eruption"),
                "base_rate": kept.get("base_rate") if is_number(kept.get("base_rate")) else None,
                "final_rate": kept.get("final_rate") if is_number(kept.get("final_rate")) else None,
                "acquired_in": [i + 1 for i in acquired if whole(i) is not None],
                "verdict": kept.get("verdict") if isinstance(kept.get("verdict"), str) else None,
                "persisted": kept.get("persisted"),
            }
        )
    return found


def share_columns(per_step: list[dict], names: list[str]) -> dict[str, str]:
    """Detector → the ``per_step`` column holding its share of outputs flagged. A numeric
    companion's own column is its mean value (DESIGN §2): it is charted by its ``<companion>_flag``
    share, and left out where the scan keeps no flag share for it."""
    keys = {key for row in per_step for key in row}
    return {
        name: f"{name}_flag" if name in NUMERIC else name
        for name in names
        if name not in NUMERIC or f"{name}_flag" in keys
    }


def companions(scan: dict) -> list[dict]:
    """The numeric companions the scan ran, with the outputs over their threshold."""
    counts = flag_counts(scan)
    return [{"detector": n, "n_flagged": counts.get(n)} for n in texts(scan.get("detectors")) if n in NUMERIC]


def persistence_rows(diagnosis: dict) -> list[dict]:
    """Persistence rows of the patterns ever flagged, every column present (missing values None);
    ``cycles``: ``{cycle (from 1), before, during, after, acquired}`` per eruption cycle."""
    table = []
    for row in rows(diagnosis.get("persistence")):
        if row.get("verdict") == "never flagged":
            continue
        cycles = [
            {
                "cycle": whole(c.get("index")) + 1,
                **{key: c.get(key) if is_number(c.get(key)) else None for key in ("before", "during", "after")},
                "acquired": c.get("acquired"),
            }
            for c in rows(row.get("cycles"))
            if whole(c.get("index")) is not None
        ]
        table.append(
            {
                "detector": str(row["detector"]) if row.get("detector") is not None else "—",
                "onset_step": whole(row.get("onset_step")),
                "onset_in_eruption": row.get("onset_in_eruption"),
                "base_rate": row.get("base_rate"),
                "final_rate": row.get("final_rate"),
                "cycles": cycles,
                "verdict": row.get("verdict") if isinstance(row.get("verdict"), str) else None,
                "persisted": row.get("persisted"),
            }
        )
    return table


def never_flagged(diagnosis: dict) -> list[str]:
    """Patterns whose every dumped output passed (by the scan's counts, or by persistence)."""
    counts = flag_counts(as_dict(diagnosis.get("scan")))
    judged = [p["detector"] for p in rows(diagnosis.get("persistence")) if p.get("verdict") == "never flagged"]
    return [name for name, n in counts.items() if n == 0 and name not in NUMERIC] or judged


def cosignal_rows(diagnosis: dict) -> list[dict]:
    """Co-signal alignment rows, with the change (during − before) filled in when missing."""
    table = []
    for row in rows(diagnosis.get("cosignals")):
        before, during = row.get("before"), row.get("during")
        change = row.get("change")
        if change is None and is_number(before) and is_number(during):
            change = during - before
        share = row.get("signal") in SHARES
        relative = None
        if not share and is_number(change) and is_number(before) and is_number(during):
            if abs(before) >= RELATIVE_BASE * max(abs(before), abs(during)) and before:
                relative = change / abs(before)
        table.append(
            {
                "cycle": whole(row.get("cycle")),
                "signal": row.get("signal") or row.get("metric"),
                "before": before,
                "during": during,
                "after": row.get("after"),
                "change": change,
                "relative": relative,
                "points": change if share and is_number(change) else None,
                "moved_step": whole(row.get("moved_step")),
                "lead_steps": whole(row.get("lead_steps")),
            }
        )
    return sorted(table, key=lambda row: (row["cycle"] is None, row["cycle"] or 0))


def step_range(steps: list, phases: dict, per_step: list[dict]) -> tuple[float, float] | None:
    """The step range every figure shares: all plotted steps and phase bounds."""
    candidates = [whole(s) for s in steps]
    candidates += [p[key] for p in phases.get("phases", []) for key in PHASE_KEYS]
    candidates += [whole(row.get("step")) for row in per_step]
    candidates = [s for s in candidates if s is not None]
    if not candidates:
        return None
    lo, hi = min(candidates), max(candidates)
    pad = max((hi - lo) * 0.01, 0.5)
    return lo - pad, hi + pad


def provenance(diagnosis: dict) -> dict:
    """Sources read (with skipped lines), checkpoints found, problems and skipped stages."""
    run = as_dict(diagnosis.get("run"))
    checkpoints = rows(diagnosis.get("checkpoints")) or rows(run.get("checkpoints"))
    return {
        "sources": rows(run.get("sources")),
        "checkpoints": sorted(
            checkpoints, key=lambda c: (whole(c.get("step")) is None, whole(c.get("step")) or 0)
        ),
        "problems": whole(run.get("problems")),
        "problem_examples": texts(run.get("problem_examples")),
        "notes": texts(diagnosis.get("notes")),
    }


def separation_of(diagnosis: dict) -> dict:
    """The ``separation`` section (``analyze --model``): checkpoint, overall scores, per-step rows."""
    separation = as_dict(diagnosis.get("separation"))
    if not separation:
        return {}
    per_step = [row for row in rows(separation.get("per_step")) if whole(row.get("step")) is not None]
    return {**separation, "overall": as_dict(separation.get("overall")), "per_step": per_step}

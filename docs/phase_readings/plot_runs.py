"""Draw every entropy series in ../shared/external for the hand readings (docs/phase_readings.md).

Run from the repository root: ``python docs/phase_readings/plot_runs.py``. Writes
``docs/phase_readings/runs_NN.png`` (four runs each) and ``runs.json`` (the id, file, run and
metric of every panel). A run's series is the one ``phases_of_run`` reads: the canonical
``entropy`` metric, or, where a run logs none, its metric whose name ends in ``/entropy``.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MultipleLocator  # noqa: E402

from entropy_lens import read_runs  # noqa: E402
from entropy_lens.errors import EntropyLensError  # noqa: E402

EXTERNAL = Path(__file__).resolve().parents[3] / "shared" / "external"
OUT = Path(__file__).resolve().parent
SKIPPED_KINDS = {"doc/license", "tcpd_annotations", "tcpd_series"}  # TCPD: no training runs
#: Close-ups of the long runs: (figure, [(panel id, first step, last step, major, minor tick)]).
ZOOMS = [
    ("zoom_R44.png", [("R44", 0, 700, 50, 10), ("R44", 650, 1350, 50, 10), ("R44", 1300, 2000, 50, 10)]),
    ("zoom_R13_R14.png", [("R13", 50, 3000, 100, 20), ("R14", 50, 4500, 100, 20), ("R12", 50, 3500, 100, 20)]),
]


def entropy_metric(run) -> str | None:
    names = set(run.metrics["name"].unique().to_list()) | set(run.metrics["raw_name"].unique().to_list())
    if "entropy" in names:
        return "entropy"
    ends = sorted(n for n in names if n.endswith("/entropy"))
    return ends[0] if ends else None


def discover() -> tuple[list[dict], list[dict]]:
    manifest = json.loads((EXTERNAL / "MANIFEST.json").read_text())
    found, skipped = [], []
    for entry in sorted(manifest, key=lambda e: e["file"]):
        if entry["kind"] in SKIPPED_KINDS:
            continue
        try:
            runs = read_runs(EXTERNAL / entry["file"])
        except EntropyLensError as error:
            why = str(error).splitlines()[0].split(": ", 1)[-1].split(" Run `")[0]
            skipped.append({"file": entry["file"], "run": None, "why": why})
            continue
        for run in runs:
            metric = entropy_metric(run)
            if metric is None:
                skipped.append({"file": entry["file"], "run": run.name, "why": "no entropy metric"})
                continue
            table = run.series(metric)
            found.append({"file": entry["file"], "run": run.name, "metric": metric,
                          "steps": table["step"].to_list(), "values": table["value"].to_list()})
    return found, skipped


def spacing(span: int) -> tuple[int, int]:
    """(major, minor) tick spacing in steps: minor every 10 steps up to 1,200 steps."""
    for limit, major, minor in [(60, 5, 1), (150, 10, 10), (320, 20, 10), (650, 50, 10), (1300, 100, 10),
                                (2100, 200, 50), (5000, 500, 100)]:
        if span <= limit:
            return major, minor
    return 1000, 200


def points(ax, steps: list, values: list, major: int, minor: int, size: float) -> None:
    ax.plot(steps, values, "-", color="tab:blue", alpha=0.35, lw=0.8)
    ax.plot(steps, values, ".", color="tab:blue", ms=size)
    ax.xaxis.set_major_locator(MultipleLocator(major))
    ax.xaxis.set_minor_locator(MultipleLocator(minor))
    ax.grid(which="major", alpha=0.5)
    ax.grid(which="minor", alpha=0.15)


def draw(ax, ident: str, item: dict) -> None:
    steps, values = item["steps"], item["values"]
    major, minor = spacing(max(steps) - min(steps))
    points(ax, steps, values, major, minor, 1.5 if len(steps) > 600 else 3.5)
    ax.tick_params(axis="x", labelsize=7, labelrotation=90 if major < 10 or max(steps) >= 1000 else 0)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylabel("entropy (nats)", fontsize=7)
    name = item["file"].split("/")[-1][:60] + (f"\n{item['run']}" if item["run"] else "")
    ax.set_title(f"{ident}  {item['file'].split('/')[0]}  [{item['metric']}]\n{name}", fontsize=7.5)


def main() -> None:
    found, skipped = discover()
    index = []
    for start in range(0, len(found), 4):
        fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
        figure = f"runs_{start // 4 + 1:02d}.png"
        for k, ax in enumerate(axes.ravel()):
            if start + k >= len(found):
                ax.axis("off")
                continue
            item, ident = found[start + k], f"R{start + k + 1:02d}"
            draw(ax, ident, item)
            index.append({"id": ident, "figure": figure, "file": item["file"], "run": item["run"],
                          "metric": item["metric"], "n": len(item["steps"]),
                          "first_step": min(item["steps"]), "last_step": max(item["steps"])})
        fig.tight_layout()
        fig.savefig(OUT / figure, dpi=72)
        plt.close(fig)
    for figure, panels in ZOOMS:
        fig, axes = plt.subplots(len(panels), 1, figsize=(13, 2.6 * len(panels)))
        for ax, (ident, first, last, major, minor) in zip(axes, panels):
            item = found[int(ident[1:]) - 1]
            kept = [(s, v) for s, v in zip(item["steps"], item["values"]) if first <= s <= last]
            points(ax, [s for s, _ in kept], [v for _, v in kept], major, minor, 2.5)
            ax.tick_params(labelsize=7)
            ax.set_ylabel("entropy (nats)", fontsize=7)
            ax.set_title(f"{ident} close-up: steps {first}-{last}", fontsize=8)
        fig.tight_layout()
        fig.savefig(OUT / figure, dpi=72)
        plt.close(fig)
    (OUT / "runs.json").write_text(json.dumps({"runs": index, "skipped": skipped}, indent=1) + "\n")
    print(f"{len(index)} runs in {(len(index) + 3) // 4} figures; {len(skipped)} skipped")


if __name__ == "__main__":
    main()

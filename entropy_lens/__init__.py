"""entropy-lens: diagnose cyclical entropy eruption in agent RL runs.

>>> import entropy_lens as el
>>> run = el.read_run("data/demo_run")            # doctest: +SKIP
>>> diagnosis = el.diagnose(run)                 # doctest: +SKIP
>>> el.write_report(diagnosis, "out/")           # doctest: +SKIP

The names below load on first use, so ``import entropy_lens.recompute.scoring`` (GPU work) does
not pull in polars, and ``import entropy_lens.phases`` does not pull in torch.
"""

from __future__ import annotations

from entropy_lens.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "Diagnosis": "entropy_lens.diagnosis",
    "diagnose": "entropy_lens.diagnosis",
    "EntropyLensError": "entropy_lens.errors",
    "analyze": "entropy_lens.run_report",
    "write_report": "entropy_lens.run_report",
    "read_run": "entropy_lens.readers",
    "read_runs": "entropy_lens.readers",
    "Run": "entropy_lens.run",
    "synthetic": "entropy_lens.synthetic",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

"""entropy-lens: diagnose cyclical entropy eruption in agent RL runs.

>>> import entropy_lens as el
>>> run = el.read_run("data/demo_run")            # doctest: +SKIP
>>> diagnosis = el.diagnose(run)                 # doctest: +SKIP
>>> el.write_report(diagnosis, "out/")           # doctest: +SKIP

The names below load on first use, so ``import entropy_lens.recompute.scoring`` (GPU work) does
not pull in polars, and ``import entropy_lens.phases`` does not pull in torch.
"""

from __future__ import annotations

import importlib

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


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'entropy_lens' has no attribute {name!r}")
    module = importlib.import_module(_EXPORTS[name])
    return module if module.__name__.endswith(f".{name}") else getattr(module, name)


def __dir__() -> list[str]:
    return __all__

"""The public API of ``entropy_lens/__init__.py`` works as its docstring shows, whatever was imported
before (a submodule named like a function would shadow it), and results convert to pandas."""

from __future__ import annotations

import importlib
import pkgutil

import pandas as pd
from paths import DEMO_RUN

import entropy_lens as el


def test_every_export_resolves_after_every_module_is_imported():
    for module in pkgutil.walk_packages(el.__path__, "entropy_lens."):
        if not module.name.startswith(("entropy_lens.cli", "entropy_lens.seal", "entropy_lens.watch_callback")):
            importlib.import_module(module.name)
    assert callable(el.diagnose) and callable(el.read_run) and callable(el.analyze) and callable(el.write_report)
    assert isinstance(el.Diagnosis, type) and isinstance(el.Run, type)
    assert el.synthetic.__name__ == "entropy_lens.synthetic"  # the one module export


def test_results_convert_to_pandas():
    diagnosis = el.diagnose(el.read_run(DEMO_RUN))
    phases = diagnosis.phases.to_pandas()
    assert list(phases["phases"].columns) == ["label", "start_step", "end_step"]
    assert len(phases["cycles"]) == len(diagnosis.phases.cycles) and "onset_step" in phases["cycles"]
    scan = diagnosis.scan.to_pandas()
    assert isinstance(scan["per_step"], pd.DataFrame) and len(scan["per_step"]) == diagnosis.scan.per_step.height
    assert set(diagnosis.run.to_pandas()) == {"metrics", "rollouts", "checkpoints"}

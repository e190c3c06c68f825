"""Every declared dependency is used, every third-party import of the package is declared, and the
results the README promises as pandas tables are."""

from __future__ import annotations

import ast
import re
import sys
import tomllib

import pandas as pd

from paths import DEMO_RUN, ROOT
from entropy_lens import read_run

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
#: distribution name → the module it is imported as
MODULE = {"scikit-learn": "sklearn", "pyyaml": "yaml", "protobuf": "google"}
#: used without an import statement of their own
INDIRECT = {"pandas": "polars' DataFrame.to_pandas (Run.to_pandas)"}
#: imported only where the declared dependency itself is older (typer before it vendored click)
FALLBACK = {"click"}


def _names(requirements: list[str]) -> set[str]:
    names = {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower() for r in requirements}
    return {MODULE.get(n, n.replace("-", "_")) for n in names if n != "entropy_lens"}


def _imported() -> set[str]:
    found = set()
    for path in [*(ROOT / "entropy_lens").rglob("*.py"), *(ROOT / "cli").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"entropy_lens", "__future__"}


def test_every_core_dependency_is_used():
    unused = _names(PROJECT["dependencies"]) - _imported() - set(INDIRECT)
    assert unused == set()


def test_every_import_is_declared():
    extras = PROJECT["optional-dependencies"]
    declared = _names(PROJECT["dependencies"]) | {n for reqs in extras.values() for n in _names(reqs)}
    assert _imported() - declared - FALLBACK == set()


def test_the_train_extra_brings_trl_and_accelerate():
    assert {"trl", "accelerate"} <= _names(PROJECT["optional-dependencies"]["train"])


def test_run_to_pandas():
    run = read_run(DEMO_RUN / "logs")
    tables = run.to_pandas()
    assert set(tables) == {"metrics", "rollouts", "checkpoints"}
    assert all(isinstance(t, pd.DataFrame) for t in tables.values())
    assert tables["metrics"].shape == run.metrics.shape
    assert list(tables["metrics"].columns) == run.metrics.columns

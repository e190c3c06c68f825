"""Every phase-detector constant is documented in docs/phases.md with its value and reason."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "phases.md"
MODULES = ("detect", "signal", "segment", "rules", "rises", "label", "verdict", "online", "reference", "ramp", "scoring", "cosignals")
ROW = re.compile(r"^\| `(\w+)\.([A-Z_]+)` \| ([-\d.]+) \| (.+) \|$", re.MULTILINE)


def module(name: str):
    return importlib.import_module("entropy_lens.synthetic" if name == "synthetic" else f"entropy_lens.phases.{name}")


def documented() -> dict[tuple[str, str], tuple[float, str]]:
    return {(m, c): (float(v), why) for m, c, v, why in ROW.findall(DOC.read_text(encoding="utf-8"))}


@pytest.mark.parametrize(("where", "value", "why"), [(k, v, w) for k, (v, w) in documented().items()])
def test_documented_value_is_the_code_value(where, value, why):
    assert getattr(module(where[0]), where[1]) == pytest.approx(value), f"{where}: docs say {value}"
    assert len(why) > 10


def test_every_numeric_constant_is_documented():
    """Every module-level ``NAME = <number>`` of the phase modules and the generator is in the table."""
    table = documented()
    for name in (*MODULES, "synthetic"):
        source = Path(module(name).__file__).read_text(encoding="utf-8")
        for constant in re.findall(r"^([A-Z][A-Z_]+) = [-\d.]+\b", source, re.MULTILINE):
            assert (name, constant) in table, f"{name}.{constant} is not in docs/phases.md's constants table"

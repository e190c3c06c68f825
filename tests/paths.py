"""Where the tests' data lives (imported by the tests; a ``conftest`` cannot be, as there are several).

Real third-party files live in ``../shared/external`` beside the repository (CI lays a copy of
``shared/`` there too); ``EXTERNAL`` points at it, or at ``$ENTROPY_LENS_EXTERNAL`` when set. A
fresh clone has no ``../shared``: every test that needs it skips with the reason
(``ENTROPY_LENS_EXTERNAL=/nonexistent python -m pytest`` shows what a fresh clone runs).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = Path(os.environ.get("ENTROPY_LENS_EXTERNAL") or ROOT.parent / "shared" / "external")
DEMO_RUN = ROOT / "data" / "demo_run"
ABSENT = f"{EXTERNAL} not present (real third-party files; see tests/paths.py)"


def manifest(kind: str) -> list:
    """Entries of ``EXTERNAL/MANIFEST.json`` of one ``kind``, as parameters of a test (with an id);
    one skipped parameter, with the reason, when ``EXTERNAL`` is absent."""
    path = EXTERNAL / "MANIFEST.json"
    if not path.is_file():
        return [pytest.param(None, id="no-external", marks=pytest.mark.skip(reason=ABSENT))]
    entries = [e for e in json.loads(path.read_text()) if e["kind"] == kind]
    return [pytest.param(e, id=e["file"]) for e in entries]

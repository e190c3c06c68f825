"""Shared fixtures and marker handling.

Real third-party files live in ``../shared/external`` beside the repository (CI lays a copy of
``shared/`` there too); ``EXTERNAL`` points at it, or at ``$ENTROPY_LENS_EXTERNAL`` when set. A
fresh clone has no ``../shared``: every test that needs it skips with the reason
(``ENTROPY_LENS_EXTERNAL=/nonexistent python -m pytest`` shows what a fresh clone runs).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = Path(os.environ.get("ENTROPY_LENS_EXTERNAL") or ROOT.parent / "shared" / "external")
DEMO_RUN = ROOT / "data" / "demo_run"


_ABSENT = f"{EXTERNAL} not present (real third-party files; see tests/conftest.py)"


def manifest(kind: str) -> list:
    """Entries of ``EXTERNAL/MANIFEST.json`` of one ``kind``, as parameters of a test (with an id);
    one skipped parameter, with the reason, when ``EXTERNAL`` is absent."""
    path = EXTERNAL / "MANIFEST.json"
    if not path.is_file():
        return [pytest.param(None, id="no-external", marks=pytest.mark.skip(reason=_ABSENT))]
    entries = [e for e in json.loads(path.read_text()) if e["kind"] == kind]
    return [pytest.param(e, id=e["file"]) for e in entries]


def pytest_collection_modifyitems(config, items):
    """Skip `gpu` tests without CUDA and `browser` tests without Chromium."""
    try:
        import torch

        has_gpu = torch.cuda.is_available()
    except ImportError:
        has_gpu = False
    has_browser = shutil.which("chromium") or shutil.which("chromium-browser")
    for item in items:
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(pytest.mark.skip(reason="needs a CUDA device"))
        if "browser" in item.keywords and not has_browser:
            item.add_marker(pytest.mark.skip(reason="needs Chromium (apt-get install chromium)"))


@pytest.fixture(scope="session")
def external() -> Path:
    """``../shared/external``: real files other people produced (see its SOURCES.md)."""
    if not EXTERNAL.is_dir():
        pytest.skip(_ABSENT)
    return EXTERNAL


@pytest.fixture(scope="session")
def demo_run() -> Path:
    """The bundled synthetic demo run."""
    return DEMO_RUN

"""Shared fixtures and marker handling; where the data lives: ``paths``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from paths import ABSENT, DEMO_RUN, EXTERNAL


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
        pytest.skip(ABSENT)
    return EXTERNAL


@pytest.fixture(scope="session")
def demo_run() -> Path:
    """The bundled synthetic demo run."""
    return DEMO_RUN

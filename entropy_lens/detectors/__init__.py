"""Degenerate behaviours per policy output: duplication and hallucination, with evidence spans.

``scan(rollouts)`` runs every detector and returns findings, per-step rates, group signals and
onsets; ``scan_run(run)`` does the same reading a run's rollouts in batches (dumps larger than
memory). ``get_detector(name)`` gives one detector (``DETECTOR_NAMES``). Definitions: DESIGN §3
and ``docs/detectors.md``.
"""

from entropy_lens.detectors import (  # noqa: F401  (importing registers each detector)
    char_run,
    companions,
    contradictory_rambling,
    fabricated_observation,
    hallucination,
    invalid_action,
    loops,
    sentence_dup,
    unsupported_claim,
)
from entropy_lens.detectors.base import DETECTOR_NAMES, FINDINGS_SCHEMA, Detector, get_detector
from entropy_lens.detectors.scan import ScanResult, scan, scan_batches, scan_run
from entropy_lens.detectors.view import policy_view

__all__ = [
    "DETECTOR_NAMES",
    "FINDINGS_SCHEMA",
    "Detector",
    "ScanResult",
    "get_detector",
    "policy_view",
    "scan",
    "scan_batches",
    "scan_run",
]

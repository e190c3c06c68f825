"""SEAL (Separation-Enhanced Agent Learning): the training arm.

``head.py`` (the classifier head on last-layer hidden states, saved under the paper's
``ProjZModule`` names), ``loss.py`` (token-mean BCE against the advantage sign; ``seal_term`` is
the one function a training loop adds to its policy loss), ``policy.py`` (hidden states at
response positions), ``advantages.py`` / ``tokens.py`` (labels and tokens from logged rollouts)
and ``recipe.py`` (the offline fine-tune). Spec: the paper's code (WindyLee0822/SEAL), summarised
in ``../shared/research/paper.md`` §3. Nothing in the diagnosis path imports this package, and
importing it does not import torch (the names below load on first use).
"""

from __future__ import annotations

from entropy_lens.lazy import lazy_exports

_EXPORTS = {
    "SEAL_WEIGHT": "entropy_lens.seal.config",
    "SealConfig": "entropy_lens.seal.config",
    "SealHead": "entropy_lens.seal.head",
    "load_head": "entropy_lens.seal.head",
    "save_head": "entropy_lens.seal.head",
    "seal_labels": "entropy_lens.seal.loss",
    "seal_loss": "entropy_lens.seal.loss",
    "seal_term": "entropy_lens.seal.loss",
    "group_advantages": "entropy_lens.seal.loss",
    "response_hidden": "entropy_lens.seal.policy",
    "run_seal": "entropy_lens.seal.recipe",
}
__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

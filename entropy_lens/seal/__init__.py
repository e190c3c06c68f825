"""SEAL (Separation-Enhanced Agent Learning): the training arm.

``head.py`` (the classifier head on last-layer hidden states, saved under the paper's
``ProjZModule`` names) and ``loss.py`` (token-mean BCE against the advantage sign; ``seal_term``
is the one function a training loop adds to its policy loss). Spec: the paper's code
(WindyLee0822/SEAL), summarised in ``../shared/research/paper.md`` §3. Nothing in the diagnosis
path imports this package.
"""

from entropy_lens.seal.head import SealHead, load_head, save_head
from entropy_lens.seal.loss import SEAL_WEIGHT, group_advantages, seal_labels, seal_loss, seal_term

__all__ = ["SEAL_WEIGHT", "SealHead", "group_advantages", "load_head", "save_head", "seal_labels", "seal_loss", "seal_term"]

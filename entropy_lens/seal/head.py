"""The SEAL head: an MLP scoring every response token's last-layer hidden state.

Architecture and parameter names as the paper's ``ProjZModule`` (WindyLee0822/SEAL,
``verl/workers/fsdp_workers.py``): one ``nn.Sequential`` called ``net`` holding
(L−1) × [Linear(h, h) → GELU → LayerNorm(h) → Dropout(0.1)] then Linear(h, 1); L = 3 by default
(6 in the paper's ALFWorld GRPO script). The state-dict keys are therefore ``net.{4i}.weight``/
``bias`` (block i's Linear), ``net.{4i+2}.weight``/``bias`` (its LayerNorm) and
``net.{4(L−1)}.weight``/``bias`` (the output Linear); on the paper's actor they carry the prefix
``proj_z.``. ``save_head``/``load_head`` read and write those names as safetensors.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from entropy_lens.errors import InvalidInput
from entropy_lens.outputs import write_atomically

#: Prefix of the head's keys inside the paper's actor state dict (``actor_module.proj_z``).
PAPER_PREFIX = "proj_z."


class SealHead(nn.Module):
    """``g_φ``: [..., h] hidden states → [...] logits of "this token belongs to a correct output".

    Args:
        hidden_size: h, the policy's hidden size.
        num_layers: L ≥ 1; L − 1 hidden blocks, then the output projection.
        dropout: dropout after each hidden block.
    """

    def __init__(self, hidden_size: int, num_layers: int = 3, dropout: float = 0.1):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be ≥ 1, not {num_layers}")
        layers: list[nn.Module] = []
        for _ in range(num_layers - 1):
            layers += [nn.Linear(hidden_size, hidden_size), nn.GELU(), nn.LayerNorm(hidden_size), nn.Dropout(dropout)]
        layers.append(nn.Linear(hidden_size, 1))
        self.net = nn.Sequential(*layers)
        self.hidden_size = hidden_size
        self.num_layers = num_layers

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """[..., h] → [...] logits."""
        return self.net(hidden).squeeze(-1)


def save_head(head: SealHead, path: str | Path) -> Path:
    """Write the head's weights (``net.*`` keys, fp32) to ``path`` as safetensors, atomically."""
    from safetensors.torch import save_file

    state = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in head.state_dict().items()}
    metadata = {"format": "pt", "hidden_size": str(head.hidden_size), "num_layers": str(head.num_layers)}
    return write_atomically(Path(path), lambda tmp: save_file(state, str(tmp), metadata=metadata))


def load_head(path: str | Path, *, dropout: float = 0.1) -> SealHead:
    """A ``SealHead`` from safetensors holding the paper's ``net.*`` (or ``proj_z.net.*``) keys.

    Hidden size and depth are read from the shapes, so a file cut from the paper's actor works.

    Raises:
        InvalidInput: the file is not safetensors, or its keys are not a ``ProjZModule``'s.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        raw = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise InvalidInput(path, f"not a readable safetensors file ({exc})") from None
    state = {k.removeprefix(PAPER_PREFIX): v for k, v in raw.items() if k.removeprefix(PAPER_PREFIX).startswith("net.")}
    linears = sorted(int(k.split(".")[1]) for k in state if k.endswith(".weight") and state[k].ndim == 2)
    if not linears or linears != list(range(0, 4 * len(linears), 4)):
        raise InvalidInput(path, f"no ProjZModule 'net.*' weights (keys: {sorted(raw)[:6]})")
    head = SealHead(state[f"net.{linears[0]}.weight"].shape[1], num_layers=len(linears), dropout=dropout)
    try:
        head.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise InvalidInput(path, f"weights do not fit a ProjZModule: {exc}") from None
    return head

"""What a SEAL fine-tune needs: the settings of ``entropy-lens seal``, checked before any model loads."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from entropy_lens.errors import InvalidInput, MissingDependency

#: λ, the SEAL weight in every script of the paper's code (``classification_loss_coef``).
SEAL_WEIGHT = 0.02

#: What the offline fine-tune imports (the ``train`` extra), checked before anything loads.
TRAINING_LIBRARIES = ("torch", "transformers", "accelerate", "safetensors")

#: Settings that change the result: a resumed run must agree on all of them (``steps`` may grow).
RESULT_FIELDS = (
    "checkpoint", "rollouts", "seal_weight", "head_layers", "head_dropout", "seed", "lr", "batch_size",
    "micro_batch_size", "clip", "max_grad_norm", "weight_decay", "split", "until_step", "max_length",
)


@dataclass
class SealConfig:
    """One offline SEAL fine-tune (GRPO on logged rollouts + λ·SEAL).

    Defaults: λ = 0.02 and depth 3 (the paper's scripts); lr 2e-6 is the paper's for 7B models, so
    the CLI default 1e-5 suits the small checkpoints this runs on a single device; PPO clip 0.2 and
    gradient clipping at 1.0 (verl's defaults); AdamW weight decay 0.01 (verl's).
    """

    checkpoint: str
    rollouts: str
    out: str
    seal_weight: float = SEAL_WEIGHT
    head_layers: int = 3
    head_dropout: float = 0.1
    steps: int = 20
    seed: int = 0
    lr: float = 1e-5
    batch_size: int = 16
    micro_batch_size: int | None = None
    clip: float = 0.2
    max_grad_norm: float = 1.0
    weight_decay: float = 0.01
    split: str = "train"
    until_step: int | None = None
    max_length: int = 4096
    save_every: int | None = None
    device: str = "auto"

    def __post_init__(self) -> None:
        problems = []
        if self.steps < 1:
            problems.append(f"--steps must be ≥ 1 (got {self.steps})")
        if self.batch_size < 1:
            problems.append(f"--batch-size must be ≥ 1 (got {self.batch_size})")
        if self.head_layers < 1:
            problems.append(f"--head-layers must be ≥ 1 (got {self.head_layers})")
        if self.seal_weight < 0:
            problems.append(f"--seal-weight must be ≥ 0 (got {self.seal_weight})")
        if self.lr <= 0:
            problems.append(f"--lr must be > 0 (got {self.lr})")
        if self.split not in ("train", "val", "all"):
            problems.append(f"--split must be train, val or all (got {self.split})")
        if problems:
            raise InvalidInput(self.out, "; ".join(problems))

    def to_dict(self) -> dict:
        return asdict(self)

    def result_fields(self) -> dict:
        return {name: getattr(self, name) for name in RESULT_FIELDS}


def config_from_dict(values: dict) -> SealConfig:
    """A ``SealConfig`` from a saved ``seal_run.json`` ``config`` object (unknown keys ignored)."""
    known = {f.name for f in fields(SealConfig)}
    return SealConfig(**{k: v for k, v in values.items() if k in known})


def from_diagnosis(diagnosis_dir: str | Path, out: str | Path, **overrides) -> SealConfig:
    """The fine-tune ``diagnosis.json``'s ``recommendation`` asks for (``analyze``'s output folder).

    Raises:
        InvalidInput: no diagnosis.json, or it recommends no fine-tune (the reason is quoted).
    """
    path = Path(diagnosis_dir)
    path = path if path.is_file() else path / "diagnosis.json"
    try:
        diagnosis = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(path, f"cannot read the diagnosis ({exc}); run `entropy-lens analyze RUN_DIR` first") from None
    recommendation = diagnosis.get("recommendation") if isinstance(diagnosis, dict) else None
    if not isinstance(recommendation, dict):
        raise InvalidInput(path, "has no 'recommendation'; re-run `entropy-lens analyze` with this version")
    if recommendation.get("action") != "seal":
        raise InvalidInput(path, f"recommends no SEAL fine-tune: {recommendation.get('reason', 'no reason given')}")
    settings = {"until_step": recommendation.get("until_step")} | {k: v for k, v in overrides.items() if v is not None}
    return SealConfig(checkpoint=recommendation["checkpoint"], rollouts=recommendation["rollouts"], out=str(out), **settings)


def require_training_libraries() -> None:
    """Raise ``MissingDependency`` (one ``Error:`` line) naming the first training library not installed."""
    for package in TRAINING_LIBRARIES:
        if importlib.util.find_spec(package) is None:
            raise MissingDependency(package, "train", "A SEAL fine-tune")

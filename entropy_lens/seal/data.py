"""The training data of an offline fine-tune: which logged outputs, their tokens, advantages and labels."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import torch

from entropy_lens.errors import NoRollouts
from entropy_lens.seal.tokens import Encoded, encode_rollouts


def training_rollouts(path: str, *, split: str = "train", until_step: int | None = None) -> pl.DataFrame:
    """The outputs of the run or dump at ``path`` to train on: one split (or ``all``), steps ≤ ``until_step``.

    Raises:
        NoRollouts: nothing is left (the message names the selection).
    """
    from entropy_lens.readers import read_run

    rollouts = read_run(path).rollouts.filter(pl.col("response").is_not_null())
    if split != "all":
        rollouts = rollouts.filter(pl.col("split") == split)
    if until_step is not None:
        rollouts = rollouts.filter(pl.col("step") <= until_step)
    if rollouts.is_empty():
        raise NoRollouts(path, f"split={split}, until_step={until_step}")
    return rollouts.sort("step", "sample_id")


@dataclass
class TrainingData:
    """Tokenised outputs with a label and at least one policy token, in training order."""

    examples: list[Encoded]
    advantages: torch.Tensor  #: [N] float32, the policy loss's per-output advantage
    labels: torch.Tensor  #: [N] bool, the SEAL label
    n_dropped: int  #: outputs without a label or without a policy token

    @classmethod
    def of(cls, tokenizer, rows: pl.DataFrame, config) -> TrainingData:
        """From rollouts joined with ``advantages_and_labels``'s table (``advantage``, ``label``).

        Raises:
            NoRollouts: no output has both a label and a policy token.
        """
        encoded = encode_rollouts(
            tokenizer, rows["sample_id"].to_list(), rows["prompt"].fill_null("").to_list(),
            rows["response"].to_list(), max_length=config.max_length,
        )
        labels, advantages = rows["label"].to_list(), rows["advantage"].to_list()
        keep = [i for i, e in enumerate(encoded) if e.n_policy and labels[i] is not None]
        if not keep:
            raise NoRollouts(config.rollouts, "a label and at least one policy token")
        return cls(
            examples=[encoded[i] for i in keep],
            advantages=torch.tensor([advantages[i] for i in keep], dtype=torch.float32),
            labels=torch.tensor([bool(labels[i]) for i in keep]),
            n_dropped=len(encoded) - len(keep),
        )

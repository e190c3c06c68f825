"""Runs one SEAL fine-tune from the command line: ``python seal_worker.py CKPT ROLLOUTS OUT`` (under torchrun in tests)."""

import sys

from entropy_lens.seal.config import SealConfig
from entropy_lens.seal.recipe import run_seal

if __name__ == "__main__":
    checkpoint, rollouts, out = sys.argv[1:4]
    run_seal(SealConfig(
        checkpoint=checkpoint, rollouts=rollouts, out=out, steps=2, batch_size=4, lr=1e-3, seed=5,
        head_dropout=0.0, device="cpu",
    ))

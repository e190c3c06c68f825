"""Scale out: `python -m entropy_lens`, token-balanced shards, torchrun on 2 CPU processes (gloo)
writing the same outputs as one process, and a failing rank leaving nothing behind."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from checkpoint_layouts import CORPUS, save_hf, tiny_model
from hypothesis import given
from hypothesis import strategies as st

from entropy_lens import __version__
from entropy_lens.errors import InvalidInput, RankFailed
from entropy_lens.recompute.parts import PARTS, read_parts
from entropy_lens.recompute.shards import World, agree, balanced_shards, rank_device, world_from_env

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_entropy_lens_is_the_command():
    version = subprocess.run([sys.executable, "-m", "entropy_lens", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout == f"entropy-lens {__version__}\n"
    helped = subprocess.run([sys.executable, "-m", "entropy_lens", "recompute", "--help"], capture_output=True,
                            text=True, env=os.environ | {"COLUMNS": "100"})
    assert helped.returncode == 0 and "--device-map" in helped.stdout and "torchrun" in helped.stdout


@given(st.lists(st.integers(1, 5000), max_size=60), st.integers(1, 8))
def test_balanced_shards_partition_and_bound(lengths, n):
    shards = balanced_shards(lengths, n)
    assert len(shards) == n and sorted(i for s in shards for i in s) == list(range(len(lengths)))
    assert all(s == sorted(s) for s in shards)
    loads = [sum(lengths[i] for i in s) for s in shards]
    if lengths:  # the documented bound: the mean plus the longest sequence
        assert max(loads) <= sum(lengths) / n + max(lengths)
    assert balanced_shards(lengths, n) == shards  # every rank computes the same split


def test_balanced_shards_example():
    assert balanced_shards([5, 100, 7, 90], 2) == [[1], [0, 2, 3]]
    assert balanced_shards([3, 3], 4) == [[0], [1], [], []]  # more ranks than samples: empty shards


def test_world_from_env():
    assert world_from_env({}) == World(0, 1, 0, 1) and World().is_main
    assert world_from_env({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}) == World(3, 4, 1, 2)
    with pytest.raises(InvalidInput, match="not integers"):
        world_from_env({"RANK": "x"})


def test_rank_device():
    assert rank_device(World(), "cuda:1") == "cuda:1"
    assert rank_device(World(1, 2, 1, 2), "cpu") == "cpu"
    with pytest.raises(InvalidInput, match="names one GPU"):
        rank_device(World(1, 2, 1, 2), "cuda:0")
    with pytest.raises(InvalidInput, match="--nproc-per-node 1"):
        rank_device(World(1, 2, 1, 2), "auto", "auto")
    assert rank_device(World(1, 2, 0, 1), "cpu", "auto") == "cpu"  # one rank per node may spread its model


def test_one_process_agrees_with_itself():
    assert agree(World(), "out", None, {"n": 1})[0]["n"] == 1
    with pytest.raises(ValueError, match="mine"):
        agree(World(), "out", ValueError("mine"))


def test_missing_part_says_the_folder_is_not_shared(tmp_path):
    """Rank 1 wrote its part on its own node's disk: rank 0 names the rank, host and the fix."""
    record = {"rank": 1, "host": "node-b", "nonce": "abc", "n_samples": 3}
    with pytest.raises(RankFailed, match="rank 1 \\(host node-b\\).*is missing: --out must be one folder every node sees"):
        read_parts(tmp_path, [record])
    folder = tmp_path / PARTS / "rank-1"
    folder.mkdir(parents=True)
    (folder / "done.json").write_text(json.dumps({"nonce": "old", "n_samples": 3}))
    with pytest.raises(RankFailed, match="is stale.*; the outputs were not written$"):
        read_parts(tmp_path, [record])


# ---- torchrun on 2 CPU processes -------------------------------------------------------------------

WORDS = " ".join(CORPUS).split()


def _run(folder: Path, n: int = 24) -> Path:
    """A verl rollout dump (``rollout_data/<step>.jsonl``, verl's keys) of outputs of uneven length."""
    rng = random.Random(0)
    for step in (1, 2):
        lines = []
        for i in range(n // 2):
            prompt = " ".join(rng.choices(WORDS, k=rng.randint(3, 40)))
            output = " ".join(rng.choices(WORDS, k=rng.randint(2, 60)))
            correct = (i + step) % 2 == 0
            lines.append(json.dumps({"input": prompt, "output": output, "gts": "1", "score": float(correct),
                                     "step": step, "acc": correct, "pred": "1"}))
        (folder / "rollout_data").mkdir(parents=True, exist_ok=True)
        (folder / "rollout_data" / f"{step}.jsonl").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale")
    return save_hf(root / "model", tiny_model(3)), _run(root / "run")


def _recompute(launcher: list[str], model: Path | None, run: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """``launcher`` ending in ``-m entropy_lens`` or a script; ``recompute`` of ``run`` under ``model``."""
    chosen = ["--model", str(model)] if model else []
    args = [*launcher, "recompute", str(run), *chosen, "--out", str(out), "--device", "cpu", "--max-length", "128",
            *extra]
    # one thread per process, as torchrun sets: the same matmul reduction order in every process
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "tests")}
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


PYTHON = [sys.executable, "-m", "entropy_lens"]
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "entropy_lens"]


@pytest.mark.slow
def test_two_processes_write_what_one_process_writes(tiny, tmp_path):
    """Token budget 1: every forward pass holds one sequence, so both runs do the same arithmetic and
    the outputs are equal exactly (with larger budgets batches differ: equal to float32 rounding)."""
    model, run = tiny
    one = _recompute(PYTHON, model, run, tmp_path / "one", "--token-budget", "1")
    two = _recompute(TORCHRUN, model, run, tmp_path / "two", "--token-budget", "1")
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    printed = json.loads(two.stdout)  # rank 0 alone prints the summary
    assert printed["n_samples"] == json.loads(one.stdout)["n_samples"] == 24
    for name in ("tokens.parquet", "samples.parquet"):
        a, b = pl.read_parquet(tmp_path / "one" / name), pl.read_parquet(tmp_path / "two" / name)
        assert a.equals(b, null_equal=True), name  # same rows, same order, same numbers
    samples = pl.read_parquet(tmp_path / "one" / "samples.parquet")
    tokens = pl.read_parquet(tmp_path / "one" / "tokens.parquet")
    assert tokens["sample_id"].unique(maintain_order=True).to_list() == samples["sample_id"].to_list()
    a, b = np.load(tmp_path / "one" / "hidden.npz"), np.load(tmp_path / "two" / "hidden.npz")
    for key in ("sample_id", "layers", "pooled"):
        np.testing.assert_array_equal(a[key], b[key])
    assert (tmp_path / "one" / "separation.json").read_text() == (tmp_path / "two" / "separation.json").read_text()
    assert not (tmp_path / "two" / PARTS).exists()


@pytest.mark.slow
def test_two_processes_default_budget_within_float32(tiny, tmp_path):
    model, run = tiny
    one = _recompute(PYTHON, model, run, tmp_path / "one")
    two = _recompute(TORCHRUN, model, run, tmp_path / "two")
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    a, b = pl.read_parquet(tmp_path / "one" / "tokens.parquet"), pl.read_parquet(tmp_path / "two" / "tokens.parquet")
    assert a.drop("entropy", "logprob").equals(b.drop("entropy", "logprob"))
    for column in ("entropy", "logprob"):
        np.testing.assert_allclose(a[column].to_numpy(), b[column].to_numpy(), rtol=0, atol=1e-5)
    pooled = np.load(tmp_path / "one" / "hidden.npz")["pooled"], np.load(tmp_path / "two" / "hidden.npz")["pooled"]
    np.testing.assert_allclose(*pooled, rtol=0, atol=1e-5)


BROKEN_RANK_1 = """
import os
import entropy_lens.models
from entropy_lens.recompute import scoring

if os.environ["RANK"] == "1":
    def broken(*args, **kwargs):
        raise RuntimeError("injected failure on rank 1")
        yield

    setattr({module}, "{name}", broken)

from entropy_lens.cli.main import app

app(prog_name="entropy-lens")
"""


@pytest.mark.slow
@pytest.mark.parametrize("module, name", [("scoring", "score"), ("entropy_lens.models", "load_policy")])
def test_a_failing_rank_leaves_no_output(tiny, tmp_path, module, name):
    """Rank 1 fails while scoring, or before (loading): rank 0 prints one Error: line naming it, no
    rank waits forever, and there is no output and no part left."""
    model, run = tiny
    script = tmp_path / "broken.py"
    script.write_text(BROKEN_RANK_1.format(module=module, name=name))
    failed = _recompute([*TORCHRUN[:-2], str(script)], model, run, tmp_path / "out")
    assert failed.returncode != 0
    errors = [line for line in failed.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, failed.stderr
    assert "rank 1 (host " in errors[0] and "RuntimeError: injected failure on rank 1" in errors[0]
    assert errors[0].endswith("; the outputs were not written")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".entropy-lens-output"]


@pytest.mark.slow
def test_two_processes_across_checkpoints(demo_run, tmp_path):
    """`--checkpoints all` under torchrun: every rank loads each checkpoint; rank 0 merges each folder."""
    args = ("--checkpoints", "all", "--split", "val", "--max-samples", "10", "--token-budget", "1")
    one = _recompute(PYTHON, None, demo_run, tmp_path / "one", *args)
    two = _recompute(TORCHRUN, None, demo_run, tmp_path / "two", *args)
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    assert [c["step"] for c in json.loads(two.stdout)["checkpoints"]] == [150, 300]
    for step in (150, 300):
        a, b = tmp_path / "one" / f"checkpoint_{step}", tmp_path / "two" / f"checkpoint_{step}"
        assert sorted(p.name for p in b.iterdir()) == sorted(p.name for p in a.iterdir())
        for name in ("tokens.parquet", "samples.parquet"):
            assert pl.read_parquet(a / name).equals(pl.read_parquet(b / name), null_equal=True)
        assert (a / "separation.json").read_text() == (b / "separation.json").read_text()
        hidden = np.load(a / "hidden.npz"), np.load(b / "hidden.npz")
        for key in ("sample_id", "layers", "pooled"):
            np.testing.assert_array_equal(hidden[0][key], hidden[1][key])
    assert json.loads((tmp_path / "two" / "checkpoints.json").read_text())["tokenisations"] == 1


def test_a_part_whose_tokens_do_not_add_up_is_refused(tmp_path):
    from entropy_lens.recompute.parts import merge_tokens, part_folder, write_part
    from entropy_lens.recompute.scoring import Scored

    def scored(n):
        policy = np.array([False, True, True])
        return [Scored(f"s{i}", np.arange(3), policy, np.ones(3, np.float32), -np.ones(3, np.float32),
                       np.zeros((1, 4), np.float32)) for i in range(n)]

    def row(item):
        return {"sample_id": item.sample_id, "n_tokens": 3, "n_policy": 2, "mean_entropy": 1.0,
                "mean_logprob": -1.0, "sum_logprob": -2.0}

    record = write_part(part_folder(tmp_path, 0), scored(2), 2, row, 1) | {"rank": 0, "host": "here"}
    rows, pooled, sources = read_parts(tmp_path, [record])
    assert rows["sample_id"].to_list() == ["s0", "s1"] and pooled["s1"].shape == (1, 4)
    merge_tokens(tmp_path / "tokens.parquet", sources, ["s1", "s0"])  # any order asked for
    assert pl.read_parquet(tmp_path / "tokens.parquet")["sample_id"].to_list() == ["s1"] * 3 + ["s0"] * 3
    table = pl.read_parquet(part_folder(tmp_path, 0) / "samples.parquet").with_columns(n_tokens=pl.lit(4, pl.Int64))
    table.write_parquet(part_folder(tmp_path, 0) / "samples.parquet")
    with pytest.raises(RankFailed, match="s0: 6 token rows in the part, not 4"):
        read_parts(tmp_path, [record])

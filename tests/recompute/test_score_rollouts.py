"""`recompute` on the demo run's checkpoint and dumps, through the library and the command line."""

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from entropy_lens import read_run
from entropy_lens.cli.main import app
from entropy_lens.errors import NoRollouts, OutputExists
from entropy_lens.recompute.score_rollouts import recompute, select_rollouts

CHECKPOINT = "checkpoints/verl_agent_alfworld/grpo_tinyllama_demo/global_step_150"


@pytest.fixture(scope="module")
def demo(demo_run):
    return read_run(demo_run)


def test_outputs_are_consistent(demo, demo_run, tmp_path):
    rollouts = select_rollouts(demo, split="val", steps=[140, 160])
    summary = recompute(demo_run / CHECKPOINT, rollouts, tmp_path)
    tokens = pl.read_parquet(tmp_path / "tokens.parquet")
    samples = pl.read_parquet(tmp_path / "samples.parquet")
    assert summary["n_samples"] == rollouts.height == samples.height
    assert tokens.height == summary["n_tokens"] == samples["n_tokens"].sum()
    policy = tokens.filter(pl.col("is_policy"))
    assert policy.height == summary["n_policy_tokens"]
    assert policy["entropy"].null_count() == 0 and tokens.filter(~pl.col("is_policy"))["entropy"].null_count() == tokens.height - policy.height
    # entropy in nats lies in [0, ln V]; log-probs are ≤ 0
    assert policy["entropy"].min() >= 0 and policy["entropy"].max() <= np.log(1971) + 1e-4
    assert policy["logprob"].max() <= 0
    per_sample = policy.group_by("sample_id").agg(pl.col("entropy").mean().alias("m"))
    joined = samples.join(per_sample, on="sample_id")
    np.testing.assert_allclose(joined["mean_entropy"], joined["m"], rtol=1e-6)
    hidden = np.load(tmp_path / "hidden.npz")
    assert hidden["pooled"].shape == (rollouts.height, 1, 64)
    assert list(hidden["sample_id"]) == samples["sample_id"].to_list()
    separation = json.loads((tmp_path / "separation.json").read_text())
    assert [p["step"] for p in separation["per_step"]] == [140, 160]
    assert separation["layers"]["-1"]["n"] == rollouts.height


def test_selection_errors(demo):
    with pytest.raises(NoRollouts, match="steps=\\[9999\\]"):
        select_rollouts(demo, steps=[9999])


def test_command_line(demo_run, tmp_path):
    out = tmp_path / "rc"
    args = ["recompute", str(demo_run), "--model", str(demo_run / CHECKPOINT), "--out", str(out),
            "--split", "val", "--step", "20", "--max-samples", "12"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_samples"] == 12
    # a second run replaces its own outputs; a folder holding anything else is refused
    assert CliRunner().invoke(app, args).exit_code == 0
    (out / "notes.txt").write_text("mine")
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1 and "notes.txt" in refused.stderr
    assert (out / "notes.txt").read_text() == "mine"


def test_refuses_foreign_folder_before_loading(demo, demo_run, tmp_path):
    (tmp_path / "keep.me").write_text("x")
    with pytest.raises(OutputExists):
        recompute(demo_run / CHECKPOINT, select_rollouts(demo, max_samples=2), tmp_path)


def test_per_step_and_overall_read_the_same_layer():
    """With layers (-1, 3) pooled, the headline (-1) sits at index 0: per-step scores must read it too."""
    from entropy_lens.recompute.score_rollouts import layer_separation

    rng = np.random.default_rng(0)
    labels = np.tile([True, False], 40)
    separated = rng.normal(size=(80, 8)) + 3.0 * labels[:, None]
    noise = rng.normal(size=(80, 8))
    samples = pl.DataFrame({"step": np.repeat([10, 20], 40), "correct": labels})
    result = layer_separation(samples, np.stack([separated, noise], axis=1).astype(np.float32), (-1, 3))
    assert result["layer"] == -1
    assert result["layers"]["-1"]["probe_auroc"] > 0.95 > 0.8 > result["layers"]["3"]["probe_auroc"]
    assert all(row["probe_auroc"] > 0.95 for row in result["per_step"])

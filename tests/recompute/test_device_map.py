"""`--device-map auto` (accelerate's big-model inference) loads the model and scores the same numbers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from checkpoint_layouts import save_hf, tiny_model
from typer.testing import CliRunner

from entropy_lens import read_run
from entropy_lens.cli.main import app
from entropy_lens.errors import InvalidInput
from entropy_lens.models import DEVICE_MAPS, load_policy
from entropy_lens.recompute.score_rollouts import recompute, select_rollouts

CHECKPOINT = "checkpoints/verl_agent_alfworld/grpo_tinyllama_demo/global_step_150"
RUN = Path(__file__).resolve().parents[1] / "fixtures" / "verl" / "run"


def test_device_maps_are_documented_choices():
    assert DEVICE_MAPS == ("auto",)


def test_auto_places_every_module(tmp_path):
    folder = save_hf(tmp_path / "m", tiny_model(1))
    model, _ = load_policy(folder, device_map="auto")
    # no GPU here: accelerate's map puts every module on the CPU (one device: no dispatch hooks)
    assert {p.device.type for p in model.parameters()} == {"cpu"} and not model.training
    with pytest.raises(InvalidInput, match="device_map must be one of auto"):
        load_policy(folder, device_map="balanced")


def test_auto_scores_the_same_numbers(demo_run, tmp_path):
    rollouts = select_rollouts(read_run(demo_run), split="val", max_samples=6)
    spread = recompute(demo_run / CHECKPOINT, rollouts, tmp_path / "spread", device_map="auto")
    placed = recompute(demo_run / CHECKPOINT, rollouts, tmp_path / "placed", device="cpu")
    assert spread["n_tokens"] == placed["n_tokens"] > 0
    for name in ("tokens.parquet", "samples.parquet"):
        a, b = pl.read_parquet(tmp_path / "spread" / name), pl.read_parquet(tmp_path / "placed" / name)
        assert a.equals(b, null_equal=True), name


def test_command_line(demo_run, tmp_path):
    args = ["recompute", str(demo_run), "--model", str(demo_run / CHECKPOINT), "--out", str(tmp_path / "o"),
            "--split", "val", "--max-samples", "3", "--device-map", "auto"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_samples"] == 3


def test_analyze_passes_device_map_to_the_loader(tmp_path, monkeypatch):
    """`analyze --model … --device-map auto` hands `auto` to `models.load_policy`."""
    import entropy_lens.models
    from entropy_lens.errors import CheckpointNotFound

    seen = {}

    def loader(path, **options):
        seen.update(options)
        raise CheckpointNotFound(path, "stopped by the test after the options were seen")

    monkeypatch.setattr(entropy_lens.models, "load_policy", loader)
    run = tmp_path / "run"
    shutil.copytree(RUN, run)
    result = CliRunner().invoke(app, ["analyze", str(run), "--out", str(tmp_path / "o"), "--model", str(run),
                                      "--device-map", "auto"])
    assert result.exit_code == 1 and "stopped by the test" in result.stderr, result.output
    assert seen["device_map"] == "auto"


@pytest.mark.slow
def test_every_model_load_of_analyze_gets_the_device_map(demo_run, tmp_path, monkeypatch):
    """The sample's scoring and the examples' token colouring both load with `--device-map auto`."""
    import entropy_lens.models

    real, seen = entropy_lens.models.load_policy, []

    def loader(path, **options):
        seen.append(options.get("device_map"))
        return real(path, **options)

    monkeypatch.setattr(entropy_lens.models, "load_policy", loader)
    result = CliRunner().invoke(app, ["analyze", str(demo_run), "--out", str(tmp_path / "o"), "--model",
                                      str(demo_run / CHECKPOINT), "--model-samples", "4", "--device-map", "auto"])
    assert result.exit_code == 0, result.output
    assert len(seen) == 2 and set(seen) == {"auto"}, seen

"""The offline SEAL fine-tune on the demo checkpoint: outputs, resume, metrics, settings."""

import json

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

from entropy_lens.errors import InvalidInput, OutputExists
from entropy_lens.readers import read_run
from entropy_lens.readers.verl_file_logger import VerlFileLoggerReader
from entropy_lens.seal.config import SealConfig
from entropy_lens.seal.head import load_head
from entropy_lens.seal.recipe import run_seal

from seal_fixtures import CHECKPOINT

pytestmark = pytest.mark.slow  # each fine-tune loads the model and trains: ~7 s, the first ~20 s

KEYS = ("actor/entropy", "actor/pg_loss", "actor/seal_loss", "actor/seal_accuracy", "actor/grad_norm", "actor/lr")


def _config(rollouts, out, **overrides) -> SealConfig:
    settings = dict(steps=4, batch_size=4, lr=1e-3, seed=3, device="cpu") | overrides
    return SealConfig(checkpoint=str(CHECKPOINT), rollouts=str(rollouts), out=str(out), **settings)


def _metrics(out) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def finetune(small_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("seal") / "out"
    return out, run_seal(_config(small_run, out))


def test_outputs_load_with_from_pretrained(finetune):
    out, summary = finetune
    final = out / "global_step_4" / "actor"
    assert summary["checkpoint"] == str(out / "global_step_4")
    assert (out / "latest_checkpointed_iteration.txt").read_text() == "4\n"
    model = AutoModelForCausalLM.from_pretrained(final / "huggingface")
    AutoTokenizer.from_pretrained(final / "huggingface")
    start = AutoModelForCausalLM.from_pretrained(CHECKPOINT / "actor" / "huggingface")
    assert not torch.equal(model.model.norm.weight, start.model.norm.weight)  # it trained
    head = load_head(final / "seal_head.safetensors")
    assert head.num_layers == 3 and head.hidden_size == model.config.hidden_size
    assert sorted(load_file(str(final / "seal_head.safetensors")))[0] == "net.0.bias"
    assert not list(out.glob(".*tmp"))  # no temp folder left behind


def test_metrics_are_verl_file_logger_lines(finetune):
    out, summary = finetune
    lines = _metrics(out)
    assert [line["step"] for line in lines] == [1, 2, 3, 4]
    for line in lines:
        assert set(KEYS) <= set(line["data"])
        assert line["data"]["actor/classification_loss"] == pytest.approx(0.02 * line["data"]["actor/seal_loss"])
        assert 0 <= line["data"]["actor/seal_accuracy"] <= 1
    assert (out / "metrics.jsonl").read_text().startswith('{"step":1,"data":{')
    table = VerlFileLoggerReader().read(out / "metrics.jsonl")
    assert VerlFileLoggerReader().sniff(out / "metrics.jsonl") and not table.problems
    run = read_run(out)  # what analyze reads: the metrics and the checkpoint
    assert set(run.metrics["name"]) >= {"entropy", "grad_norm"}
    assert run.checkpoints["step"].to_list() == [4]
    record = json.loads((out / "seal_run.json").read_text())
    assert record["status"] == "done" and record["groups"]["n_singleton_groups"] == 0
    assert summary["n_outputs"] == 12


def test_resume_gives_the_uninterrupted_result(small_run, tmp_path, finetune):
    straight, _ = finetune
    resumed = tmp_path / "resumed"
    run_seal(_config(small_run, resumed, steps=2))
    assert (resumed / "latest_checkpointed_iteration.txt").read_text() == "2\n"
    summary = run_seal(_config(small_run, resumed, steps=4))
    assert summary["resumed_from"] == 2
    for name in ("huggingface/model.safetensors", "seal_head.safetensors"):
        a = load_file(str(straight / "global_step_4" / "actor" / name))
        b = load_file(str(resumed / "global_step_4" / "actor" / name))
        for key in a:
            torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    first, second = _metrics(straight), _metrics(resumed)
    assert [m["step"] for m in second] == [1, 2, 3, 4]
    for x, y in zip(first, second):
        torch.testing.assert_close(
            torch.tensor([x["data"][k] for k in KEYS]), torch.tensor([y["data"][k] for k in KEYS])
        )


def test_resume_refuses_other_settings_and_foreign_folders(small_run, finetune, tmp_path):
    out, _ = finetune
    with pytest.raises(InvalidInput, match="seal_weight: 0.02 → 0.1"):
        run_seal(_config(small_run, out, steps=6, seal_weight=0.1))
    with pytest.raises(InvalidInput, match="already holds step 4 of 4"):
        run_seal(_config(small_run, out))
    (tmp_path / "other" / "x.txt").parent.mkdir()
    (tmp_path / "other" / "x.txt").write_text("keep me")
    with pytest.raises(OutputExists, match="x.txt"):
        run_seal(_config(small_run, tmp_path / "other"))
    assert (tmp_path / "other" / "x.txt").read_text() == "keep me"


def test_weight_zero_trains_the_head_without_the_seal_term(small_run, tmp_path):
    out = tmp_path / "zero"
    run_seal(_config(small_run, out, steps=1, seal_weight=0.0))
    (line,) = _metrics(out)
    assert line["data"]["actor/classification_loss"] == 0.0 and line["data"]["actor/seal_loss"] > 0


def test_bad_settings_fail_before_loading(tmp_path):
    with pytest.raises(InvalidInput, match="--steps must be ≥ 1.*--lr must be > 0"):
        SealConfig(checkpoint="c", rollouts="r", out=str(tmp_path), steps=0, lr=0)

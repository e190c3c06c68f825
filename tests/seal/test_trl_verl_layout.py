"""examples/seal/real_model_grpo.py end to end on a tiny random Llama: verl's layout, read back by ``analyze``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("datasets")

from checkpoint_layouts import tiny_model, tiny_tokenizer  # noqa: E402

from entropy_lens.run_report import analyze  # noqa: E402
from entropy_lens.readers import read_run  # noqa: E402
from entropy_lens.seal.head import load_head  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "seal"))
import real_model_grpo as example  # noqa: E402

TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)


def test_rewards_of_the_counting_game():
    assert example.reward("<action>add 3</action>", target=10, total=7) == (1.0, True)
    assert example.reward("<action> add 2 </action>", target=10, total=7) == (0.2, False)
    assert example.reward("<action>add 3</action>\nObservation: total is 10.", target=10, total=7) == (0.0, False)
    assert example.reward("add 3", target=10, total=7) == (0.0, False)
    game = example.episode(__import__("random").Random(0))
    assert game["prompt"][-1]["content"].startswith("Observation: total is") and game["total"] < game["target"]
    games = [example.episode(__import__("random").Random(seed)) for seed in range(200)]
    assert {g["target"] - g["total"] for g in games} == {1, 2, 3, 4, 5}  # every state is winnable in one move


@pytest.mark.slow
def test_an_arm_writes_what_analyze_reads(tmp_path):
    model_dir = tmp_path / "policy"
    tiny_model(seed=0).save_pretrained(model_dir)
    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = TEMPLATE
    tokenizer.save_pretrained(model_dir)
    args = argparse.Namespace(out=tmp_path / "runs", steps=2, prompts=2, generations=2, max_new_tokens=6,
                              save_every=1, lr=1e-3, seed=0, bf16=False, quiet=True)
    times = example.train_arm(args, "seal", 0.02, model_dir)
    assert len(times) == 2 and all(t > 0 for t in times)

    root = args.out / "seal"
    lines = [json.loads(line) for line in (root / "logs" / "seal_smollm2" / "seal.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2] and all(set(line) == {"step", "data"} for line in lines)
    for line in lines:
        data = line["data"]
        assert data["actor/classification_loss"] == pytest.approx(0.02 * data["actor/seal_loss"])
    run = read_run(root)
    assert run.source_format == "verl" and run.n_rollouts == 2 * 2 * 2
    assert run.checkpoints.filter("has_weights")["step"].to_list() == [1, 2]
    assert (root / "checkpoints" / "seal_smollm2" / "seal" / "latest_checkpointed_iteration.txt").read_text() == "2"
    head = load_head(root / "checkpoints" / "seal_smollm2" / "seal" / "global_step_2" / "actor" / "huggingface"
                     / "seal_head.safetensors")
    assert head.hidden_size == 32
    dumped = json.loads((root / "rollout_data" / "1.jsonl").read_text().splitlines()[0])
    assert set(dumped) == {"input", "output", "gts", "score", "step", "acc"} and dumped["step"] == 1
    diagnosis, written = analyze(root, tmp_path / "report")
    assert written["report.html"].is_file()
    assert diagnosis.run.series("entropy")["step"].to_list() == [1, 2]
    with pytest.raises(SystemExit, match="exists"):
        example.train_arm(args, "seal", 0.02, model_dir)  # nothing is overwritten

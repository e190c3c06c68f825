"""SealGRPOTrainer: TRL's GRPO + λ·SEAL on a tiny random Llama (saved with save_pretrained), CPU, a few steps."""

from __future__ import annotations

import math

import pytest
import torch

pytest.importorskip("trl")
datasets = pytest.importorskip("datasets")

from checkpoint_layouts import save_hf, tiny_model  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402

from entropy_lens.seal.head import load_head  # noqa: E402
from entropy_lens.seal.trl import HEAD_FILE, METRIC_KEYS, SealGRPOTrainer, completion_hidden  # noqa: E402

PROMPTS = ["Your task is to: put a clean mug in the coffeemachine.", "You are in the middle of a room."]


def desk_reward(completions, **_):
    """Share of the completion's words that are 'desk': varies inside a group, so advantages are not all 0."""
    return [c.split().count("desk") / max(len(c.split()), 1) for c in completions]


def trainer(tmp_path, weight: float, steps: int, *, save_steps: int = 1000, lr: float = 1e-2):
    from trl import GRPOConfig

    model_dir = save_hf(tmp_path / "policy", tiny_model(seed=0))
    config = GRPOConfig(
        output_dir=str(tmp_path / f"out-{weight}"), max_steps=steps, per_device_train_batch_size=4,
        num_generations=4, max_completion_length=6, learning_rate=lr, use_cpu=True, bf16=False,
        activation_checkpointing=False, logging_steps=1, save_steps=save_steps, report_to=[], seed=7,
        temperature=1.0, beta=0.0, disable_tqdm=True,
    )
    dataset = datasets.Dataset.from_dict({"prompt": PROMPTS * 8})
    return SealGRPOTrainer(
        model=str(model_dir), reward_funcs=desk_reward, args=config, train_dataset=dataset, seal_weight=weight
    )


def backbone_state(trainer) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in trainer.model.state_dict().items() if not k.startswith("seal_head.")}


def test_hidden_states_are_the_last_layer_at_completion_tokens(tmp_path):
    run = trainer(tmp_path, 0.02, 1)
    model = run.model
    ids = torch.randint(4, 64, (3, 9))
    attention = torch.ones_like(ids)
    attention[0, :2] = 0  # a left-padded prompt
    captured = []
    hook = model.base_model.register_forward_hook(lambda _m, _a, out: captured.append(out.last_hidden_state))
    with torch.no_grad():
        run._get_per_token_logps_and_entropies(model, ids, attention, logits_to_keep=4, batch_size=2)
        hook.remove()
        reference = model(input_ids=ids, attention_mask=attention, output_hidden_states=True).hidden_states[-1]
    torch.testing.assert_close(completion_hidden(captured, 4), reference[:, -4:])


@pytest.mark.slow
def test_seal_loss_logged_head_trained_and_saved(tmp_path):
    run = trainer(tmp_path, 0.02, 3, save_steps=3)
    head_before = {k: v.clone() for k, v in run.seal_head.state_dict().items()}
    run.train()
    logged = [entry for entry in run.state.log_history if METRIC_KEYS[0] in entry]
    assert len(logged) == 3
    for entry in logged:
        assert math.isfinite(entry["seal/loss"]) and entry["seal/loss"] > 0
        assert 0.0 <= entry["seal/accuracy"] <= 1.0
    changed = [k for k, v in run.seal_head.state_dict().items() if not torch.equal(v, head_before[k])]
    assert "net.0.weight" in changed and "net.8.weight" in changed  # first and output Linear (L = 3)

    checkpoint = tmp_path / "out-0.02" / "checkpoint-3"
    saved = load_head(checkpoint / HEAD_FILE)
    for key, value in run.seal_head.state_dict().items():
        torch.testing.assert_close(saved.state_dict()[key], value)
    assert not any(k.startswith("seal_head") for k in load_file(checkpoint / "model.safetensors"))
    reloaded = AutoModelForCausalLM.from_pretrained(checkpoint)
    torch.testing.assert_close(reloaded.model.norm.weight, run.model.model.norm.weight)

    fresh = trainer(tmp_path / "fresh", 0.02, 1)  # resuming puts the saved head back
    assert not torch.equal(fresh.seal_head.state_dict()["net.0.weight"], saved.state_dict()["net.0.weight"])
    fresh._load_from_checkpoint(str(checkpoint))
    for key, value in saved.state_dict().items():
        torch.testing.assert_close(fresh.seal_head.state_dict()[key], value)


@pytest.mark.slow
def test_seal_gradient_reaches_the_backbone_only_when_weighted(tmp_path):
    """Same seed, one step: identical completions, so the backbones differ only through λ·SEAL."""
    runs = {}
    for name, weight in (("zero", 0.0), ("zero_again", 0.0), ("seal", 1.0)):
        run = trainer(tmp_path / name, weight, 1)
        run.train()
        runs[name] = run
    zero, again, seal = (backbone_state(runs[n]) for n in ("zero", "zero_again", "seal"))
    assert all(torch.equal(zero[k], again[k]) for k in zero)  # the comparison is not noise
    assert runs["zero"].state.log_history[0]["entropy"] == runs["seal"].state.log_history[0]["entropy"]
    differs = [k for k in zero if not torch.equal(zero[k], seal[k])]
    assert "model.layers.0.self_attn.q_proj.weight" in differs and "model.norm.weight" in differs
    assert "lm_head.weight" not in differs  # the head reads hidden states: the LM head gets no SEAL gradient

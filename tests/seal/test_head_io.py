"""The head's weights under the paper's ``ProjZModule`` names, as safetensors."""

import pytest
import torch
from safetensors.torch import load_file, save_file

from entropy_lens.errors import InvalidInput
from entropy_lens.seal.head import SealHead, load_head, save_head


def test_state_dict_uses_the_paper_names():
    # ProjZModule(h, num_layers=3).net: Linear 0, GELU 1, LayerNorm 2, Dropout 3, Linear 4, …, Linear 8
    keys = set(SealHead(8, num_layers=3).state_dict())
    assert keys == {f"net.{i}.{p}" for i in (0, 2, 4, 6, 8) for p in ("weight", "bias")}
    assert set(SealHead(8, num_layers=1).state_dict()) == {"net.0.weight", "net.0.bias"}


@pytest.mark.parametrize("layers", [1, 3, 6])
def test_save_then_load_round_trip(tmp_path, layers):
    torch.manual_seed(layers)
    head = SealHead(12, num_layers=layers).eval()
    path = save_head(head, tmp_path / "seal_head.safetensors")
    assert set(load_file(str(path))) == set(head.state_dict())
    loaded = load_head(path).eval()
    assert loaded.num_layers == layers and loaded.hidden_size == 12
    x = torch.randn(3, 12)
    torch.testing.assert_close(loaded(x), head(x))


def test_loads_keys_cut_from_the_paper_actor(tmp_path):
    head = SealHead(6, num_layers=2).eval()
    actor = {f"proj_z.{k}": v for k, v in head.state_dict().items()}
    actor["model.embed_tokens.weight"] = torch.zeros(4, 6)  # the rest of the actor is ignored
    save_file(actor, str(tmp_path / "actor.safetensors"))
    loaded = load_head(tmp_path / "actor.safetensors").eval()
    x = torch.randn(2, 6)
    torch.testing.assert_close(loaded(x), head(x))


def test_bad_files_name_the_path(tmp_path):
    (tmp_path / "junk.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(InvalidInput, match="junk.safetensors"):
        load_head(tmp_path / "junk.safetensors")
    save_file({"other.weight": torch.zeros(2, 2)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(InvalidInput, match="ProjZModule"):
        load_head(tmp_path / "other.safetensors")

"""The compiled lm-head + fp32 entropy chunk against the float64 reference and the eager chunk."""

import pytest
import torch
from test_entropy import reference

from entropy_lens.recompute.entropy import entropy_and_logprob


@pytest.mark.slow  # torch.compile builds a C++ kernel on CPU (~20-60 s)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_compiled_chunk_matches_float64_reference(dtype):
    gen = torch.Generator().manual_seed(1)
    hidden = (3 * torch.randn(70, 48, generator=gen)).to(dtype)  # scaled: peaked and flat rows both
    weight = torch.randn(500, 48, generator=gen).to(dtype)
    bias = torch.randn(500, generator=gen).to(dtype)
    targets = torch.randint(0, 500, (70,), generator=gen)
    # two chunk sizes: the second call runs the same compiled graph on other shapes (dynamic=True)
    for chunk_size in (16, 70):
        ent, logp = entropy_and_logprob(hidden, weight, targets, chunk_size=chunk_size, bias=bias, compiled=True)
        ref_ent, ref_logp = reference(hidden, weight, targets, bias, logits_dtype=dtype)
        assert ent.dtype == torch.float32 and ent.shape == (70,)
        torch.testing.assert_close(ent.double(), ref_ent, rtol=1e-5, atol=1e-4)
        torch.testing.assert_close(logp.double(), ref_logp, rtol=1e-5, atol=1e-4)
        eager_ent, eager_logp = entropy_and_logprob(hidden, weight, targets, chunk_size=chunk_size, bias=bias)
        torch.testing.assert_close(ent, eager_ent, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(logp, eager_logp, rtol=1e-5, atol=1e-5)

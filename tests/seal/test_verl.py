"""verl_seal_term against the paper's formula, by hand in float64, on random verl-shaped tensors."""

from __future__ import annotations

import math

import torch

from entropy_lens.seal.head import SealHead
from entropy_lens.seal.verl import padded_hidden, verl_seal_term


def verl_batch(seed: int, bsz: int = 3, prompt: int = 5, response: int = 6, hidden: int = 8):
    """Left-padded prompts, right-padded responses, as verl's rollout batch lays them out."""
    g = torch.Generator().manual_seed(seed)
    seqlen = prompt + response
    attention = torch.ones(bsz, seqlen, dtype=torch.long)
    attention[0, :2] = 0  # short prompt
    attention[1, -3:] = 0  # short response
    response_mask = attention[:, -response:].clone()
    response_mask[2, 1:3] = 0  # a tool observation inside the response (multi-turn)
    advantages = torch.randn(bsz, 1, generator=g).expand(bsz, response).clone() * response_mask
    advantages[2] = 0.0  # a group whose rewards are all equal: A = 0 is labelled correct
    last_hidden = torch.randn(bsz, seqlen, hidden, generator=g, dtype=torch.float64)
    return last_hidden, attention, response_mask, advantages


def by_hand(head: SealHead, last_hidden, response_mask, advantages) -> float:
    """(1/|M|) Σ_{(i,t)∈M} −[y log σ(z) + (1−y) log(1−σ(z))], z = g(h_{i, P+t}), y = 1[A_{i,t} ≥ 0]."""
    bsz, response = response_mask.shape
    offset = last_hidden.size(1) - response
    total, count = 0.0, 0
    for i in range(bsz):
        for t in range(response):
            if response_mask[i, t]:
                z = float(head(last_hidden[i, offset + t]).detach())
                y = 1.0 if advantages[i, t] >= 0 else 0.0
                p = 1.0 / (1.0 + math.exp(-z))
                total += -(y * math.log(p) + (1 - y) * math.log(1 - p))
                count += 1
    return total / count


def test_matches_the_paper_formula_in_float64():
    for seed in range(5):
        torch.manual_seed(seed)
        head = SealHead(8, num_layers=3).double().eval()
        last_hidden, _, response_mask, advantages = verl_batch(seed)
        weighted, stats = verl_seal_term(head, last_hidden, response_mask, advantages, weight=0.02)
        expected = by_hand(head, last_hidden, response_mask, advantages)
        assert math.isclose(stats["seal_loss"], expected, rel_tol=1e-6)
        assert math.isclose(float(weighted), 0.02 * expected, rel_tol=1e-6)
        assert stats["seal_tokens"] == response_mask.sum()


def test_remove_padding_path_and_gradient_to_the_backbone():
    torch.manual_seed(0)
    head = SealHead(8, num_layers=3).double().eval()
    last_hidden, attention, response_mask, advantages = verl_batch(1)
    indices = attention.flatten().nonzero().squeeze(-1)  # what unpad_input returns
    rmpad = last_hidden.reshape(-1, 8)[indices].unsqueeze(0).requires_grad_()  # (1, total_nnz, H)
    grid = padded_hidden(rmpad, indices, *attention.shape)
    torch.testing.assert_close(grid, last_hidden * attention[..., None])
    weighted, stats = verl_seal_term(head, grid, response_mask, advantages, weight=0.02)
    assert math.isclose(stats["seal_loss"], by_hand(head, last_hidden, response_mask, advantages), rel_tol=1e-6)
    weighted.backward()
    per_token = rmpad.grad.abs().sum(-1).squeeze(0)
    flat_response = torch.zeros(attention.numel(), dtype=torch.bool)
    flat_response.view(attention.shape)[:, -response_mask.size(1):] = response_mask.bool()
    assert (per_token > 0).tolist() == flat_response[indices].tolist()  # gradient exactly on masked response tokens

import math

import pytest
import torch

from entropy_lens.seal.head import SealHead
from entropy_lens.seal.loss import (
    SEAL_WEIGHT,
    clipped_policy_loss,
    group_advantages,
    seal_labels,
    seal_loss,
    seal_term,
)


def test_head_shape_and_depth():
    head = SealHead(hidden_size=16, num_layers=3)
    # L − 1 = 2 blocks of [Linear, GELU, LayerNorm, Dropout], then Linear(h, 1): ProjZModule's ``net``
    kinds = [type(m).__name__ for m in head.net]
    assert kinds == ["Linear", "GELU", "LayerNorm", "Dropout"] * 2 + ["Linear"]
    assert head.net[3].p == 0.1
    assert head(torch.randn(2, 5, 16)).shape == (2, 5)
    assert len(SealHead(8, num_layers=1).net) == 1
    with pytest.raises(ValueError):
        SealHead(8, num_layers=0)


def test_labels_count_zero_advantage_as_correct():
    assert seal_labels(torch.tensor([-0.5, 0.0, 2.0])).tolist() == [0.0, 1.0, 1.0]


def test_loss_hand_computed():
    # logits 0 → BCE = ln 2 for either label; masked tokens do not count
    logits = torch.zeros(1, 4)
    advantages = torch.tensor([[1.0, -1.0, 1.0, 5.0]])
    mask = torch.tensor([[1, 1, 1, 0]])
    assert seal_loss(logits, advantages, mask).item() == pytest.approx(math.log(2))
    # logit +2 on a correct token: −log σ(2) = log(1 + e^−2) = 0.126928
    loss = seal_loss(torch.tensor([[2.0]]), torch.tensor([[0.3]]), torch.tensor([[1]]))
    assert loss.item() == pytest.approx(math.log1p(math.exp(-2)), rel=1e-6)
    assert seal_loss(logits, advantages, torch.zeros(1, 4)).item() == 0.0


def test_loss_matches_float64_reference_and_reaches_backbone():
    torch.manual_seed(0)
    hidden = torch.randn(3, 7, 8, requires_grad=True)  # stands in for the backbone's output
    head = SealHead(8).eval()
    advantages = torch.randn(3, 1).expand(3, 7)
    mask = (torch.rand(3, 7) > 0.3).long()
    loss = seal_loss(head(hidden), advantages, mask)
    logits = head(hidden).double()
    y = (advantages >= 0).double()
    ref = -(y * torch.log(torch.sigmoid(logits)) + (1 - y) * torch.log(1 - torch.sigmoid(logits)))
    ref = (ref * mask).sum() / mask.sum()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-5)
    loss.backward()
    assert hidden.grad is not None and hidden.grad.abs().sum() > 0  # no detach


def test_group_advantages_match_grpo_formula():
    # binary rewards, G = 8, k = 1 correct: +sqrt(7) for it, −sqrt(1/7) for the others
    rewards = torch.tensor([1.0] + [0.0] * 7 + [3.0] * 4)
    groups = torch.tensor([0] * 8 + [1] * 4)
    adv = group_advantages(rewards, groups)
    assert adv[0].item() == pytest.approx(math.sqrt(7), rel=1e-4)
    assert adv[1].item() == pytest.approx(-math.sqrt(1 / 7), rel=1e-4)
    assert adv[8:].abs().max().item() == 0.0  # all-equal group → 0 → labelled correct
    assert group_advantages(rewards, groups, normalize_std=False)[0].item() == pytest.approx(0.875)


def test_seal_term_weights_the_loss_and_reports_statistics():
    torch.manual_seed(1)
    head = SealHead(4, num_layers=2).eval()
    hidden = torch.randn(2, 3, 4, requires_grad=True)
    mask = torch.tensor([[0, 1, 1], [0, 0, 1]])
    advantages = torch.tensor([0.5, -0.2])  # [B]: broadcast over each sequence's tokens
    weighted, stats = seal_term(head, hidden, mask, advantages, weight=0.02)
    logits = head(hidden).detach()
    per_token = advantages[:, None].expand(2, 3)
    unweighted = seal_loss(logits, per_token, mask)
    assert weighted.item() == pytest.approx(0.02 * unweighted.item(), rel=1e-6)
    assert stats["seal_loss"] == pytest.approx(unweighted.item(), rel=1e-6)
    assert stats["seal_tokens"] == 3.0
    # accuracy: masked tokens whose logit sign agrees with 1[A ≥ 0], counted by hand
    hand = [(logits[b, t] > 0).item() == (per_token[b, t] >= 0).item() for b, t in ((0, 1), (0, 2), (1, 2))]
    assert stats["seal_accuracy"] == pytest.approx(sum(hand) / 3)
    weighted.backward()
    assert hidden.grad[mask.bool()].abs().sum() > 0 and hidden.grad[~mask.bool()].abs().sum() == 0


def test_seal_term_at_weight_zero_keeps_the_head_in_the_graph():
    head = SealHead(4, num_layers=2)
    weighted, stats = seal_term(head, torch.randn(1, 2, 4), torch.ones(1, 2), torch.ones(1, 2), weight=0.0)
    weighted.backward()
    assert weighted.item() == 0.0 and stats["seal_loss"] > 0
    assert all(p.grad is not None for p in head.parameters())
    assert SEAL_WEIGHT == 0.02  # the paper's classification_loss_coef in every script


def test_clipped_policy_loss_hand_computed():
    # ρ = e^0 = 1: loss = −A; ρ = e^ln1.5 = 1.5 with A = 1: clipped at 1.2 → −1.2 (the larger of −1.5, −1.2)
    # ρ = 1.5 with A = −1: −(−1)·1.5 = 1.5 against 1.2 → 1.5 (unclipped, pessimistic)
    old = torch.zeros(3)
    new = torch.tensor([0.0, math.log(1.5), math.log(1.5)])
    adv = torch.tensor([2.0, 1.0, -1.0])
    loss, clipped = clipped_policy_loss(new, old, adv, clip=0.2)
    torch.testing.assert_close(loss, torch.tensor([-2.0, -1.2, 1.5]))
    assert clipped.tolist() == [False, True, False]

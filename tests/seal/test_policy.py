"""Hidden states at response positions (the paper's alignment) and log-probs (the shift), against references."""

import pytest
import torch
from transformers import AutoModelForCausalLM

from entropy_lens.seal.head import SealHead
from entropy_lens.seal.policy import SealPolicy, response_hidden

from seal_fixtures import CHECKPOINT


@pytest.fixture(scope="module")
def model():
    return AutoModelForCausalLM.from_pretrained(CHECKPOINT / "actor" / "huggingface").eval()


def test_hidden_states_sit_at_the_tokens_own_positions(model):
    torch.manual_seed(0)
    ids = torch.randint(3, 500, (2, 9))
    mask = torch.ones_like(ids)
    reference = model(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states[-1]
    hidden = response_hidden(model, ids, mask)
    torch.testing.assert_close(hidden, reference)
    # the paper takes full_last_hidden[:, -R:] for R response tokens: position t ↔ token t, no shift
    response = 4
    torch.testing.assert_close(hidden[:, -response:], reference[:, -response:])
    assert not torch.allclose(hidden[:, -response:], reference[:, -response - 1 : -1])


def test_logprobs_use_the_shift_and_match_a_float64_reference(model):
    torch.manual_seed(1)
    ids = torch.randint(3, 500, (2, 8))
    mask = torch.ones_like(ids)
    policy = torch.zeros_like(ids, dtype=torch.bool)
    policy[:, 5:] = True
    head = SealHead(model.config.hidden_size).eval()
    logprob, entropy, _, stats = SealPolicy(model, head).eval()(ids, mask, policy, torch.tensor([1.0, -1.0]), 0.02)
    logits = model(input_ids=ids, attention_mask=mask).logits.double()
    logp = torch.log_softmax(logits, dim=-1)
    # token t is predicted by position t − 1
    ref = torch.stack([logp[b, t - 1, ids[b, t]] for b in range(2) for t in range(5, 8)])
    ref_entropy = torch.stack([-(logp[b, t - 1].exp() * logp[b, t - 1]).sum() for b in range(2) for t in range(5, 8)])
    torch.testing.assert_close(logprob.double(), ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(entropy.double(), ref_entropy, rtol=1e-5, atol=1e-5)
    assert stats["seal_tokens"] == 6.0

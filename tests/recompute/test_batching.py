from entropy_lens.recompute.batching import token_budget_batches


def test_every_index_once_and_budget_respected():
    lengths = [30, 500, 12, 480, 250, 251, 90, 1200]
    batches = token_budget_batches(lengths, budget=1024)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert len(batch) == 1 or len(batch) * longest <= 1024
    # longest first: the 1200-token sequence (over budget) sits alone
    assert batches[0] == [7]


def test_empty_input():
    assert token_budget_batches([], budget=10) == []

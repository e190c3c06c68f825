"""Recomputation: rollouts + checkpoints → per-token entropy/log-prob, pooled hidden states, separation.

``entropy.py`` (chunked math, pure torch), ``chat.py`` (restoring stripped chat templates),
``encoding.py`` (text → tokens, policy spans), ``batching.py`` (token budgets), ``scoring.py``
(forward passes), ``tokens.py`` (streaming Parquet), ``score_rollouts.py`` (one checkpoint's
outputs) and ``across_checkpoints.py`` (many checkpoints, tokenised once).
This package imports nothing heavy by itself, so the GPU modules load without polars.
"""

#!/usr/bin/env bash
# The project's real-model example run: SmolLM2-135M-Instruct trained with GRPO on the counting
# game, with SEAL (λ = 0.02) and without (λ = 0), then diagnosed and compared (docs/seal.md).
#
#   bash examples/seal/real_model_run.sh [OUT_DIR] [extra real_model_grpo.py flags]
#
# The defaults below are the size of the run in docs/seal.md: 15 steps per arm of 8 prompts × 4
# generations × up to 32 new tokens, a checkpoint every 5 steps, bf16 autocast. On 2 idle CPU
# cores a step took 35–40 s (about 10 min per arm); the diagnoses and the comparison take another
# 20–30 min. Pass bigger sizes after OUT_DIR (they override these) where there is more compute.
set -euo pipefail
out="${1:-runs/smollm2}"
shift || true
python examples/seal/real_model_grpo.py --out "$out" --steps 15 --prompts 8 --generations 4 \
    --max-new-tokens 32 --save-every 5 --lr 2e-5 --bf16 --quiet "$@"
for arm in seal weight0; do
    # every checkpoint scored on a step-balanced 240 of the arm's 480 outputs: the separation trend
    entropy-lens analyze "$out/$arm" --out "$out/$arm-diagnosis" --checkpoints all --model-samples 240 --quiet
done
entropy-lens compare "$out/seal" "$out/weight0" --out "$out/compare" --separation --samples 240 --quiet
# like for like: both final checkpoints scored on the same outputs (each arm's steps 11–15)
for outputs in seal weight0; do
    for checkpoint in seal weight0; do
        entropy-lens recompute "$out/$outputs" --out "$out/cross/$checkpoint-on-$outputs" --quiet \
            --model "$out/$checkpoint/checkpoints/seal_smollm2/$checkpoint/global_step_15" \
            --step 11 --step 12 --step 13 --step 14 --step 15 > /dev/null
    done
done

#!/usr/bin/env bash
# SEAL on the demo run, end to end: diagnose, follow the recommendation, diagnose the fine-tune.
#
#   bash examples/seal/demo_finetune.sh [OUT_DIR]      # ~10 min on 2 CPU cores
#
# The same fine-tune at λ = 0 (the baseline of docs/seal.md) adds `--seal-weight 0`.
# On several devices: accelerate launch --multi_gpu --num_processes N "$(command -v entropy-lens)" seal …
set -euo pipefail
out="${1:-seal-demo}"
entropy-lens analyze data/demo_run --out "$out/diagnosis"
python -c "import json,sys; print(json.load(open(sys.argv[1]))['recommendation']['command'])" "$out/diagnosis/diagnosis.json"
entropy-lens seal --from-diagnosis "$out/diagnosis" --out "$out/finetune" --steps 20 --batch-size 16 --lr 1e-4
entropy-lens analyze "$out/finetune" --out "$out/finetune-diagnosis"

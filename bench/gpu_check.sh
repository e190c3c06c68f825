#!/usr/bin/env bash
# One GPU check for recompute (issue 13): the `gpu` tests, then bench/recompute_speed.py at the
# 0.5B / 1.5B / 7B shapes (naive vs padded vs packed, compiled lm-head, compiled body / CUDA graphs).
#
#   OUT=/some/dir bash bench/gpu_check.sh        # from the repository root, on a CUDA machine
#
# Installs nothing from the network (`pip install -e . --no-deps --no-build-isolation`; the repository
# root is also put on PYTHONPATH, so the checkout is what runs even if that install fails). Each stage
# has its own timeout and writes $OUT/<stage>.txt as it runs, so a failing or slow stage never loses
# the others; the whole script stays under ~8 minutes (no stage starts after DEADLINE = 380 s, and
# the stages that can start then are at most 110 s).
# $OUT/summary.txt lists every stage with its exit status (124 = hit its timeout).
set -u
OUT=${OUT:-gpu_check_out}
mkdir -p "$OUT"
START=$(date +%s)
DEADLINE=${DEADLINE:-380}  # seconds after which remaining stages are skipped
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
: > "$OUT/summary.txt"

stage() {  # stage NAME TIMEOUT_SECONDS COMMAND...
  local name=$1 limit=$2
  shift 2
  local elapsed=$(( $(date +%s) - START ))
  if (( elapsed > DEADLINE )); then
    echo "$name: skipped (${elapsed}s elapsed)" | tee -a "$OUT/summary.txt"
    return
  fi
  echo "== $name (timeout ${limit}s): $*" | tee "$OUT/$name.txt"
  local t0=$(date +%s)
  timeout --signal=TERM --kill-after=10 "$limit" "$@" >> "$OUT/$name.txt" 2>&1
  local rc=$?
  echo "$name: exit $rc in $(( $(date +%s) - t0 ))s" | tee -a "$OUT/summary.txt"
}

BENCH="python bench/recompute_speed.py --device cuda --tokens 200000"
stage environment 60 bash -c 'date -u; nvidia-smi; python -c "import torch, transformers; print(torch.__version__, torch.version.cuda, transformers.__version__)"; pip list 2>/dev/null | grep -i -E "^(torch|transformers|triton|flash|liger)"'
stage install 90 pip install -e . --no-deps --no-build-isolation -q
stage pytest_gpu 150 python -m pytest -m gpu tests/recompute -q -p no:cacheprovider -rA
stage bench_0.5B 100 $BENCH --shapes 0.5B --budgets 32768 65536 --compiled-head
stage bench_1.5B 80 $BENCH --shapes 1.5B --budgets 32768
stage bench_7B 110 $BENCH --shapes 7B --budgets 32768
stage bench_0.5B_compile_body 90 $BENCH --shapes 0.5B --budgets 32768 --compile-body default
stage bench_0.5B_cuda_graphs 90 $BENCH --shapes 0.5B --budgets 32768 --compile-body reduce-overhead
echo "total $(( $(date +%s) - START ))s" | tee -a "$OUT/summary.txt"

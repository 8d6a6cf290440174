#!/usr/bin/env bash
# The checks that need a CUDA GPU, in one run, for a machine with this package installed
# (pip install -e '.[test]' done):
#
#   bash scripts/gpu-check.sh [LOG_DIR]        # LOG_DIR defaults to ./gpu-check-logs
#
# It prints nvidia-smi and the torch/transformers versions, then runs, each under a timeout and with its
# output saved in LOG_DIR:
#   1. bench/generation.py --skip dedup      the generation benchmark (its last line holds the figures)
#   2. pytest tests/models -m gpu --run-slow  the GPU tests
#   3. a plugin smoke run: a tiny model, then the example suite on it with two xdist workers sharing a GPU
#      (only the tail of its output is shown; the whole of it is in LOG_DIR/3b-smoke.log)
# and ends with each step's exit status (124: timed out). A failing step does not stop the later ones; the
# script exits 1 when any step failed.
#
# Environment: PYTHON (default: python), TINY_DIR (default: /tmp/recode-tiny), and the timeouts in seconds
# BENCH_TIMEOUT (600), TESTS_TIMEOUT (600), SMOKE_TIMEOUT (600).
set -u

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log_dir="${1:-./gpu-check-logs}"
mkdir -p "$log_dir" || { echo "gpu-check: cannot create the log directory $log_dir" >&2; exit 2; }
log_dir="$(cd "$log_dir" && pwd)"  # absolute: step 3 runs in examples/
python="${PYTHON:-python}"
tiny_dir="${TINY_DIR:-/tmp/recode-tiny}"
bench_timeout="${BENCH_TIMEOUT:-600}"
tests_timeout="${TESTS_TIMEOUT:-600}"
smoke_timeout="${SMOKE_TIMEOUT:-600}"
# Nothing here should reach a model hub; offline, a missing file fails at once instead of hanging.
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" TRANSFORMERS_OFFLINE="${TRANSFORMERS_OFFLINE:-1}"

statuses=""
failed=0

# run_step NAME SECONDS SHOW OK COMMAND...: run COMMAND under a timeout with its output in LOG_DIR/NAME.log,
# shown whole (SHOW=all) or only its last 40 lines (SHOW=tail); records the exit status, which counts as a
# failure of the check unless it is one of OK (space-separated codes).
run_step() {
    local name="$1" seconds="$2" show="$3" ok="$4" log="$log_dir/$1.log" start status note=""
    shift 4
    echo
    echo "=== $name (timeout ${seconds}s, in $(pwd)): $*"
    echo "\$ $*" >"$log"
    start=$(date +%s)
    if [ "$show" = all ]; then
        timeout --kill-after=30 "$seconds" "$@" 2>&1 | tee -a "$log"
        status=${PIPESTATUS[0]}
    else
        timeout --kill-after=30 "$seconds" "$@" >>"$log" 2>&1
        status=$?
        echo "--- last 40 lines of $log ---"
        tail -n 40 "$log"
    fi
    case " $ok " in
        *" $status "*) [ "$status" = 0 ] || note=" (expected)" ;;
        *) failed=1
           case "$status" in 124|137) note=" (timed out after ${seconds}s)" ;; *) note=" (FAILED)" ;; esac ;;
    esac
    statuses="${statuses}$(printf '%-14s exit %3s  %5ss%s' "$name" "$status" "$(( $(date +%s) - start ))" "$note")
"
}

cd "$root" || exit 2
{
    echo "=== gpu-check $(date -u '+%Y-%m-%dT%H:%M:%SZ') in $root, logs in $log_dir"
    echo "--- nvidia-smi"
    if command -v nvidia-smi >/dev/null 2>&1; then
        timeout 60 nvidia-smi
    else
        echo "nvidia-smi not found"
    fi
    echo "--- versions"
    timeout 120 "$python" -c '
import sys, torch, transformers
print("python", sys.version.split()[0])
print("torch", torch.__version__, "CUDA", torch.version.cuda, "available:", torch.cuda.is_available(),
      "devices:", torch.cuda.device_count())
for i in range(torch.cuda.device_count()):
    print("  cuda:%d" % i, torch.cuda.get_device_name(i))
print("transformers", transformers.__version__)
' 2>&1 || echo "could not import torch and transformers with $python"
} 2>&1 | tee "$log_dir/0-environment.log"

run_step 1-bench "$bench_timeout" all 0 "$python" bench/generation.py --skip dedup
run_step 2-gpu-tests "$tests_timeout" all 0 "$python" -m pytest tests/models -m gpu --run-slow -q -x
# `python -m pytest_recode` is the `recode` command, without depending on PATH.
run_step 3a-tiny-model 300 all 0 "$python" -m pytest_recode model tiny "$tiny_dir"
cd "$root/examples" || exit 2
# --recode-model=DIR, not "--recode-model DIR": pytest takes an argument that is an existing directory as a
# path, which would make the model directory the rootdir and leave examples/pytest.ini unread.
# --recode-no-cache: a cache left by an earlier run would let this run generate nothing. Exit 1 (tests
# failed) is expected: the tiny model writes gibberish, so every robustness test is a finding.
run_step 3b-smoke "$smoke_timeout" tail "0 1" "$python" -m pytest -n 2 --recode-model="$tiny_dir" \
    --recode-workers-per-gpu 2 --recode-max-new-tokens 32 --recode-no-cache -q
cd "$root" || exit 2

echo
echo "=== exit status of each step (logs in $log_dir)"
printf '%s' "$statuses" | tee "$log_dir/summary.txt"
exit "$failed"

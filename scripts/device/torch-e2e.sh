#!/usr/bin/env bash
# backend: torch end to end on the GPU machine (issue 14). Run from the repository root, with .device/ and
# .torchbundle/ carried (scripts/device/torch-bundle.sh makes the latter):
#   OUT=/some/dir bash scripts/device/torch-e2e.sh          (ONLY="gloo ranks" runs those parts alone; BUDGET=seconds;
#   FSDP_LIMIT, FSDP1GPU_LIMIT, GLOO_LIMIT, QWEN05_LIMIT: those parts' time limits)
# Parts (each one's failure is recorded in $OUT/parts.jsonl and the script goes on; under 7 minutes in all):
#   selftest  the worker's own protocol test (generate, logprobs, steps, save) on the tiny qwen2 fixture
#   tiny      reprise run, SFT → GRPO with LoRA on torch (recipe keys), the tiny qwen2 fixture, tfjs eval
#   t2tfjs    the tiny run's torch-saved checkpoints (merged model/, adapter/) in tfjs: logits within 1e-4 of torch
#   tfjs2t    a tfjs-saved LoRA checkpoint (merged and adapter) in transformers/peft: logits within 1e-4 of tfjs
#   qwen05    reprise run --backend torch on a random Qwen2.5-0.5B-shaped model
#   gloo      the tiny recipe on 1 and on 2 processes (torchrun, gloo, CPU): loss curves within 1e-5 relative
#   fsdp      the tiny recipe on 1 process and on 2 FSDP2 processes (gloo, CPU): loss curves within 1e-5 relative;
#             then the worker's --self-test-fsdp (tokens, log-probs, steps, checkpoints resumed either way)
#   fsdp1gpu  the tiny recipe on one FSDP2 process on the GPU (nccl) against the plain GPU run: curves within 1e-5
#   fsdpoffload  the same with fsdp_offload_params (parameters, gradients, AdamW on the CPU)
#   ranks     2 gloo processes: a failure on rank 1 alone is one error naming it; a killed rank ends the worker
#   resume    the tiny recipe (30 SFT steps) killed after its first SFT checkpoint, run again: it resumes from it
# Writes $OUT/reports/bench/torch-<date>.json (step times, tokens/s, peak GPU memory, every part's result),
# $OUT/reports/runs/* (the runs' summaries and curves) and $OUT/logs/*.log.
set -uo pipefail
OUT=${OUT:?set OUT to the output directory}
mkdir -p "$OUT/logs" "$OUT/reports/bench"
T0=$(date +%s)
BUDGET=${BUDGET:-400}  # seconds for the parts; the run as a whole stays under 7 minutes
TMP=${TMP_E2E:-/tmp/torch-e2e}
rm -rf "$TMP" && mkdir -p "$TMP"
PARTS="$OUT/parts.jsonl"
: > "$PARTS"

if ! command -v node >/dev/null; then
  if [ -f .device/on-device.sh ]; then source .device/on-device.sh >"$OUT/logs/on-device.log" 2>&1; fi
fi
command -v accelerate >/dev/null || export REPRISE_ACCELERATE="python3 -m accelerate.commands.launch"
export REPRISE_WORKER_STDERR=1 TOKENIZERS_PARALLELISM=false
R=${R_CLI:-"node .torchbundle/cli.mjs"}
B="node .torchbundle/torch-e2e.mjs"
PY="python3 scripts/device/torch_e2e.py"
export OUT TMP R B PY  # the parts below run as `bash -c <function>` under timeout

# the last line of a file as JSON: itself when it is JSON, else as a string
last_json() {
  tail -n 1 "$1" 2>/dev/null | python3 -c 'import json,sys; l=sys.stdin.read().strip()
try: json.loads(l); print(l)
except Exception: print(json.dumps(l[-500:]))'
}

record() { # name status seconds detail-json
  printf '{"part":"%s","status":"%s","seconds":%s,"detail":%s}\n' "$1" "$2" "$3" "${4:-null}" >> "$PARTS"
  echo "== $1: $2 ($3 s)"
}

# part NAME TIMEOUT COMMAND...: runs it with a timeout (shrunk to what is left of BUDGET), logs to $OUT/logs/NAME.log
part() {
  local name=$1 limit=$2; shift 2
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then record "$name" "not selected" 0 '"ONLY names other parts"'; return 1; fi
  local left=$((BUDGET - ($(date +%s) - T0)))
  if [ "$left" -lt 15 ]; then record "$name" skipped 0 '"no time left in the budget"'; return 1; fi
  [ "$limit" -gt "$left" ] && limit=$left
  local t=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" > "$OUT/logs/$name.log" 2>&1
  local rc=$?
  local secs=$(($(date +%s) - t))
  local last
  last=$(last_json "$OUT/logs/$name.log")
  if [ $rc -eq 0 ]; then record "$name" ok "$secs" "$last"; elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then record "$name" timeout "$secs" "$last"; else record "$name" "failed rc=$rc" "$secs" "$last"; fi
  return $rc
}

for need in node python3; do command -v $need >/dev/null || { record setup failed 0 "\"$need is not on PATH\""; }; done
[ -n "${R_CLI:-}" ] || [ -f .torchbundle/cli.mjs ] || record setup failed 0 '".torchbundle/cli.mjs is missing: run scripts/device/torch-bundle.sh and carry .torchbundle"'
python3 workers/torch/reprise_worker.py --check > "$OUT/logs/check.log" 2>&1 && record check ok 0 "$(last_json "$OUT/logs/check.log")" || record check failed 0 "$(last_json "$OUT/logs/check.log")"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$OUT/logs/gpu.log" 2>&1

part selftest 60 python3 workers/torch/reprise_worker.py --self-test tests/fixtures/hf/qwen2 "$TMP/selftest"

part tiny 110 $R run scripts/device/torch-e2e/tiny.yaml --work-dir "$TMP/tiny" --reports "$OUT/reports"

sft_dir=$(ls -d "$TMP"/tiny/stages/sft-* 2>/dev/null | head -n1)
t2tfjs() {
  set -e
  $B logits "$sft_dir/model" "$TMP/t2tfjs-merged.json"
  $PY parity "$TMP/t2tfjs-merged.json" "$sft_dir/model"
  $B logits tests/fixtures/hf/qwen2 "$TMP/t2tfjs-adapter.json" "$sft_dir/adapter"
  $PY parity "$TMP/t2tfjs-adapter.json" tests/fixtures/hf/qwen2 "$sft_dir/adapter"
}
export sft_dir
export -f t2tfjs
if [ -n "$sft_dir" ] && [ -d "$sft_dir/model" ]; then part t2tfjs 60 bash -c t2tfjs; else record t2tfjs skipped 0 '"the tiny run left no SFT model"'; fi

tfjs2t() {
  set -e
  $B save tests/fixtures/hf/qwen2 "$TMP/tfsave" 1
  $PY parity "$TMP/tfsave/logits.json" "$TMP/tfsave/model"
  $PY parity "$TMP/tfsave/logits.json" tests/fixtures/hf/qwen2 "$TMP/tfsave/adapter"
}
export -f tfjs2t
part tfjs2t 60 bash -c tfjs2t

qwen05() {
  set -e
  $PY make-model .reprise/qwen05-random tests/fixtures/hf/qwen2 "${QWEN05_VOCAB:-360}"
  $R run scripts/device/torch-e2e/qwen05.yaml --backend torch --work-dir "$TMP/qwen05" --reports "$OUT/reports"
}
export -f qwen05
part qwen05 "${QWEN05_LIMIT:-150}" bash -c qwen05

gloo() {
  set -e
  export REPRISE_TORCH_DEVICE=cpu
  $R run scripts/device/torch-e2e/tiny.yaml --accelerate-config scripts/device/torch-e2e/accelerate-1proc-cpu.yaml --work-dir "$TMP/p1" --reports "$TMP/rep-p1"
  $R run scripts/device/torch-e2e/tiny.yaml --accelerate-config scripts/device/torch-e2e/accelerate-2proc-gloo.yaml --work-dir "$TMP/p2" --reports "$TMP/rep-p2"
  $PY curves "$TMP/p1" "$TMP/p2"
}
export -f gloo
part gloo "${GLOO_LIMIT:-110}" bash -c gloo

fsdp() {
  set -e
  export REPRISE_TORCH_DEVICE=cpu
  if ! ls "$TMP"/p1/stages/grpo-*/done.json >/dev/null 2>&1; then
    rm -rf "$TMP/p1"
    $R run scripts/device/torch-e2e/tiny.yaml --accelerate-config scripts/device/torch-e2e/accelerate-1proc-cpu.yaml --work-dir "$TMP/p1" --reports "$TMP/rep-p1"
  fi
  $R run scripts/device/torch-e2e/tiny.yaml --accelerate-config scripts/device/torch-e2e/accelerate-2proc-fsdp-gloo.yaml --work-dir "$TMP/f2" --reports "$TMP/rep-f2"
  $PY curves "$TMP/p1" "$TMP/f2" > "$OUT/logs/fsdp-curves.json" || true
  python3 workers/torch/reprise_worker.py --self-test-fsdp scripts/device/torch-e2e/accelerate-2proc-fsdp-gloo.yaml tests/fixtures/hf/qwen2 "$TMP/fsdp-selftest" | tail -n 1 > "$OUT/logs/fsdp-selftest.json" || true
  python3 - "$OUT/logs/fsdp-curves.json" "$OUT/logs/fsdp-selftest.json" <<'PYEOF'
import json, sys
def read(f):
    try:
        return json.loads(open(f).read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError) as e:
        return {"unreadable": f"{f}: {e}"}
c, s = read(sys.argv[1]), read(sys.argv[2])
curves = {k: {m: v[m]["max_scaled_diff"] for m in v if isinstance(v[m], dict) and "max_scaled_diff" in v[m]} | {"ok": v.get("ok")} for k, v in c.items() if isinstance(v, dict)}
ok = bool(curves) and all(v["ok"] for v in curves.values()) and s.get("ok") is True
print(json.dumps({"ok": ok, "curves": curves or c, "selftest": {k: s.get(k) for k in ("ok", "diff", "tokens_equal", "failed", "unreadable")}}))
sys.exit(0 if ok else 1)
PYEOF
}
export -f fsdp
part fsdp "${FSDP_LIMIT:-200}" bash -c fsdp

fsdp1gpu() { # CONFIG WORKDIR-NAME: the tiny recipe under CONFIG against the plain one-process GPU run
  set -e
  base="$TMP/tiny"
  if ! ls "$base"/stages/grpo-*/done.json >/dev/null 2>&1; then
    base="$TMP/g1"
    ls "$base"/stages/grpo-*/done.json >/dev/null 2>&1 || $R run scripts/device/torch-e2e/tiny.yaml --work-dir "$base" --reports "$TMP/rep-g1"
  fi
  $R run scripts/device/torch-e2e/tiny.yaml --accelerate-config "scripts/device/torch-e2e/$1" --work-dir "$TMP/$2" --reports "$TMP/rep-$2"
  $PY curves "$base" "$TMP/$2"
}
export -f fsdp1gpu
part fsdp1gpu "${FSDP1GPU_LIMIT:-150}" bash -c 'fsdp1gpu accelerate-1proc-fsdp.yaml f1gpu'
part fsdpoffload "${FSDP1GPU_LIMIT:-150}" bash -c 'fsdp1gpu accelerate-1proc-fsdp-offload.yaml f1off'

part ranks 90 env REPRISE_TORCH_DEVICE=cpu python3 workers/torch/reprise_worker.py --self-test-ranks scripts/device/torch-e2e/accelerate-2proc-gloo.yaml tests/fixtures/hf/qwen2

resume() {
  set -e
  local run="$R run scripts/device/torch-e2e/tiny.yaml --work-dir $TMP/resume --reports $TMP/rep-resume --set sft.steps=30 --set sft.checkpoint_every=10 --set grpo.steps=1"
  setsid $run > "$OUT/logs/resume-first.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do ls -d "$TMP"/resume/stages/sft-*/ckpt-* >/dev/null 2>&1 && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- -"$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local before done_before=false
  before=$(ls -d "$TMP"/resume/stages/sft-*/ckpt-* 2>/dev/null | xargs -n1 basename | tr '\n' ' ')
  ls "$TMP"/resume/stages/sft-*/done.json >/dev/null 2>&1 && done_before=true
  $run
  python3 - "$TMP/resume" "$before" "$done_before" <<'EOF'
import glob, json, sys
d = glob.glob(sys.argv[1] + "/stages/sft-*")[0]
steps = [json.loads(l)["step"] for l in open(d + "/log.jsonl") if l.strip()]
out = {"checkpoints_when_killed": sys.argv[2].split(), "sft_done_when_killed": sys.argv[3] == "true", "sft_logged_steps": steps}
out["ok"] = steps == list(range(30)) and bool(out["checkpoints_when_killed"]) and not out["sft_done_when_killed"]
print(json.dumps(out))
sys.exit(0 if out["ok"] else 1)
EOF
}
export -f resume
part resume 90 bash -c resume

# the bench record: figures from the runs' logs, every part's result
$PY summary "$TMP/figures.json" tiny="$TMP/tiny" qwen05="$TMP/qwen05" gloo_1proc="$TMP/p1" gloo_2proc="$TMP/p2" fsdp_2proc_gloo="$TMP/f2" fsdp_1proc_gpu="$TMP/f1gpu" fsdp_1proc_gpu_offload="$TMP/f1off" > "$OUT/logs/summary.log" 2>&1
python3 - "$TMP/figures.json" "$PARTS" "$OUT/logs/gpu.log" "$TMP/report-in.json" <<'EOF'
import json, sys
figs = json.load(open(sys.argv[1])) if __import__("os").path.exists(sys.argv[1]) else {}
def parse(l):
    try:
        return json.loads(l)
    except ValueError:
        return {"unparsed": l}
parts = [parse(l) for l in open(sys.argv[2]) if l.strip()]
gpu = open(sys.argv[3]).read().strip()
try:
    import torch, transformers, peft, accelerate
    versions = {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__, "accelerate": accelerate.__version__}
except Exception as e:  # noqa: BLE001
    versions = {"error": str(e)}
import os
json.dump({"name": "torch", "what": "backend torch end to end (scripts/device/torch-e2e.sh)", "gpu": gpu, "versions": versions,
           "qwen05_vocab": int(os.environ.get("QWEN05_VOCAB", "360")), "only": os.environ.get("ONLY") or None,
           "runs": figs, "parts": parts}, open(sys.argv[4], "w"), indent=1)
EOF
date_tag=$(date -u +%Y-%m-%d)
if [ -f .torchbundle/torch-e2e.mjs ]; then
  $B report "$TMP/report-in.json" "$OUT/reports/bench/torch-$date_tag.json" > "$OUT/logs/report.log" 2>&1
else
  # torch-e2e.mjs not carried (R_CLI names another bundle): the same record's shape from Python, with the commit
  # that bundle was built from (its COMMIT file) and this machine's facts
  cli_dir=$(dirname "$(echo "$R" | awk '{print $NF}')")
  $PY record "$TMP/report-in.json" "$OUT/reports/bench/torch-$date_tag.json" "$(cat "$cli_dir/COMMIT" 2>/dev/null)" > "$OUT/logs/report.log" 2>&1
fi
echo "total $(($(date +%s) - T0)) s; parts:"
cat "$PARTS"

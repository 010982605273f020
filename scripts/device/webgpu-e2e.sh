#!/usr/bin/env bash
# On the GPU machine, from the repository root, with .gpubundle (bench/gpu-bundle.sh .gpubundle), .device
# (../shared/device/pack.sh) and .gl (the loaders of ../shared/device/README.md) carried; under 9 minutes a call:
#   bash scripts/device/webgpu-e2e.sh e2e     tiny-r1 end to end with --backend webgpu; a carried .e2e-work resumes
#   bash scripts/device/webgpu-e2e.sh bench   bench:gpu: the GPT configs with the fused kernels off and on, the
#                                             Qwen2.5-0.5B-shaped LoRA step and sampling, torch fp32/bf16 (+ peft)
# Writes under $OUT (named to be committed as they are under reports/bench/): <mode>-log.txt; e2e:
# webgpu-e2e-<date>-summary.json (the run's summary), webgpu-e2e-<date>.json (each metric beside the committed wasm
# run's interval), e2e-reports.tgz (the run's report folder), and e2e-work.tgz.aa, .ab, … when the
# run did not finish within E2E_BUDGET_S (default 480 s; cat them | tar xzf - -C .e2e-work, and carry .e2e-work to
# resume); bench: gpu-<date>.json.
# Here, first: bench/gpu-bundle.sh .gpubundle (after ../shared/device/pack.sh for .device); then one device call per
# mode, carry [".gpubundle", ".device", ".gl"] (+ ".e2e-work" to resume), timeout 600.
# E2E_LOCAL=1 skips the machine setup (a smoke test on a CPU machine with REPRISE_WEBGPU=opengl); E2E_SET adds
# --set overrides (e.g. "sft.steps=2 grpo.steps=1").
set -uo pipefail
mode=${1:?usage: webgpu-e2e.sh e2e|bench}
: "${OUT:?OUT must name the folder results go to}"
B=.gpubundle
day=$(date -u +%F)

setup() {
  for f in .gl/*.deb .device/vulkan/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done
  ldconfig
  mkdir -p /tmp/node/bin
  python3 -c "import lzma,shutil;shutil.copyfileobj(lzma.open('.device/node.xz'),open('/tmp/node/bin/node','wb'))"
  chmod +x /tmp/node/bin/node
  export PATH=/tmp/node/bin:$PATH
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  [ -f $icd ] && export VK_DRIVER_FILES=$icd
  [ -f $egl ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
}

e2e() {
  local work=.e2e-work
  mkdir -p $work
  local sets=()
  for s in ${E2E_SET:-}; do sets+=(--set "$s"); done
  local t0=$SECONDS
  timeout "${E2E_BUDGET_S:-480}" node $B/cli.mjs run recipes/tiny-r1/v2.yaml --backend webgpu --work-dir $work/reprise --reports $work/reports --json "${sets[@]}" > $work/run.json
  local rc=$?
  echo "reprise run: exit $rc after $((SECONDS - t0)) s"
  local summary
  summary=$(ls $work/reports/runs/*/summary.json 2>/dev/null | head -1)
  if [ $rc -eq 0 ] && [ -n "$summary" ]; then
    cp "$summary" "$OUT/webgpu-e2e-$day-summary.json"
    tar czf "$OUT/e2e-reports.tgz" -C $work reports run.json
    python3 scripts/device/webgpu-compare.py reports/runs/tiny-r1-v2-s1234/summary.json "$summary" "$(cat $B/COMMIT)" > "$OUT/webgpu-e2e-$day.json"
    cat "$OUT/webgpu-e2e-$day.json"
  else
    # in pieces: a file over 16 MiB would not come back
    tar czf - -C $work . | split -b 15M - "$OUT/e2e-work.tgz."
    ls -la "$OUT"
    echo "unfinished: cat e2e-work.tgz.* | tar xzf - -C .e2e-work (mkdir it first), then carry .e2e-work to resume"
  fi
  return $rc
}

bench() {
  # BENCH_ARGS: more flags for bench/gpu.ts, e.g. --configs=tiny,qwen-tiny (a smoke test)
  node $B/gpu.mjs --out="$OUT/gpu-$day.json" ${BENCH_ARGS:-} > /dev/null
}

main() {
  echo "commit $(cat $B/COMMIT 2>/dev/null || echo unknown), mode $mode, $(date -u +%FT%TZ)"
  [ "${E2E_LOCAL:-}" = 1 ] || setup
  if [ ! -f $B/node_modules/webgpu/dist/linux-x64/dawn.node ]; then
    mkdir -p $B/node_modules/webgpu/dist/linux-x64
    python3 -c "import lzma,shutil;shutil.copyfileobj(lzma.open('$B/dawn.node.xz'),open('$B/node_modules/webgpu/dist/linux-x64/dawn.node','wb'))"
  fi
  node --version
  case $mode in
    e2e) e2e ;;
    bench) bench ;;
    *) echo "unknown mode $mode (e2e or bench)"; return 2 ;;
  esac
}

set -o pipefail
main 2>&1 | tee "$OUT/$mode-log.txt"

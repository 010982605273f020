#!/usr/bin/env bash
# Real TRL on the exported files, end to end on CPU: `reprise export trl` of a toy-sized tiny-r1 starting from the
# tiny Qwen2 fixture, `reprise rewards serve`, then `trl sft` and `trl grpo` from the export directory.
# Needs a Python with trl 1.13, transformers 5.17, accelerate, datasets and torch:  scripts/trl/e2e.sh PYTHON_BIN_DIR
set -euo pipefail
bin=${1:?the bin directory of a Python environment with trl}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
node --input-type=module -e "
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
const r = parse(readFileSync('recipes/tiny-r1/v1.yaml', 'utf8'));
r.datagen.splits = { sft: { count: 16, digit_weights: [1, 1] }, rl: { count: 8, digit_weights: [1, 1] }, test: { count: 4, digit_weights: [0, 1, 1] } };
Object.assign(r.sft, { steps: 4, batch_size: 4, warmup_steps: 1, checkpoint_every: 4, log_every: 1 });
Object.assign(r.grpo, { steps: 3, prompts_per_step: 2, group_size: 4, micro_batch_size: 4, max_tokens: 16, checkpoint_every: 3 });
r.grpo.rewards.push({ name: 'length', weight: 0.1 });
writeFileSync('$work/tiny.yaml', stringify(r));
"
node --import tsx src/cli.ts export trl "$work/tiny.yaml" --out "$work/out" --model "$root/tests/fixtures/hf/qwen2"
node --import tsx src/cli.ts rewards serve --port 0 > "$work/server.out" &
server=$!
until grep -q 'Reprise rewards:' "$work/server.out"; do sleep 1; done
export REPRISE_REWARDS_URL=$(grep -o 'http://[0-9.:]*' "$work/server.out")
cd "$work/out"
"$bin/trl" sft --config sft.yaml 2>&1 | tee "$work/sft.log" | grep -E "'loss'|Model saved"
"$bin/trl" grpo --config grpo.yaml 2>&1 | tee "$work/grpo.log" | grep -oE "'rewards/[a-z_]+/mean': '[^']*'|Model saved.*"

// `npm run bench [-- verify|tiny-r1 ...]`: each benchmark writes reports/bench/<name>.json.
//   verify  — verifications per second over MATH-500-style completions and the slowest single check.
//   code    — wall time to score all 164 HumanEval canonical solutions in the sandbox; start-up per program.
//   eval    — the eval harness's overhead: samples/s against an instant endpoint at concurrency 1, 16, 128;
//             heap and RSS over 100,000 samples (flat: samples stream to disk).
//   serve   — server-side render time of the leaderboard with 1,000 runs × 6 benchmarks (target < 200 ms).
//   hf      — Hugging Face model layer on wasm: load time, forward and sampling tokens/s (batch 1 and 32) for random
//             SmolLM2-135M- and Qwen2.5-0.5B-shaped checkpoints (bench/hf-bench.ts).
//   hf-sft  — one LoRA SFT step of the Qwen2.5-0.5B shape, the loss over the whole logits and in chunks of rows, at
//             1×64, 1×512 and 2×512 tokens: time, peak tensor bytes, hf-memory.ts' estimate, heap (bench/hf-sft-bench.ts).
//   cpu     — training and sampling tokens/s of our GPT (tiny-r1's and a d256 one) against PyTorch CPU with the same
//             weights in the same run, ratios; a SmolLM2-135M-shaped Llama beside (bench/cpu-bench.ts).
//   tiny-r1 — runs recipes/tiny-r1/v2.yaml from scratch: each stage's wall time, training and sampling
//             tokens/s, peak resident memory, beside a reference measured in the same process (wasm matmul
//             GFLOP/s), so figures can be compared across noisy machines as ratios.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runRecipe } from '../src/pipeline/run.js';
import { initBackend, type BackendName } from '../src/model/backend.js';
import { readJson } from '../src/util/fs.js';
import { packageVersions } from '../src/pipeline/provenance.js';
import { record } from './record.js';
import type { StageDone } from '../src/pipeline/stages.js';
import { readdirSync } from 'node:fs';

const root = resolve('.');
// tiny-r1 first: its peak RSS is the process's maximum so far, so nothing may run before it
const which = process.argv.slice(2).length ? process.argv.slice(2) : ['tiny-r1', 'verify', 'code', 'eval', 'serve', 'hf', 'cpu'];

function matmulGflops(): number {
  const n = 512;
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2) as tf.Tensor2D;
  const once = () => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  };
  for (let i = 0; i < 3; i++) once();
  const reps = 20;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) once();
  const ms = (performance.now() - t0) / reps;
  a.dispose();
  b.dispose();
  return (2 * n ** 3) / (ms * 1e6);
}

// REPRISE_BENCH_BACKEND=blas runs the recipe on another backend than its own (recorded as tiny-r1-v2-blas.json)
const recipeBackend = process.env.REPRISE_BENCH_BACKEND as BackendName | undefined;

async function benchRecipe(recipePath: string): Promise<Record<string, unknown>> {
  await initBackend(recipeBackend ?? 'wasm');
  const refBefore = matmulGflops();
  const work = mkdtempSync(join(tmpdir(), 'reprise-bench-'));
  const t0 = Date.now();
  const summary = await runRecipe({ recipePath, root, workDir: work, reportsDir: join(work, 'reports'), backend: recipeBackend });
  const total = (Date.now() - t0) / 1000;
  const refAfter = matmulGflops();
  const stages: Record<string, StageDone> = {};
  for (const d of readdirSync(join(work, 'stages'))) stages[d.replace(/-[0-9a-f]{16}$/, '')] = readJson<StageDone>(join(work, 'stages', d, 'done.json'));
  rmSync(work, { recursive: true, force: true });
  const ref = (refBefore + refAfter) / 2;
  return {
    recipe: recipePath,
    versions: packageVersions(root),
    total_wall_s: total,
    stage_wall_s: summary.provenance.wall_s,
    units: 'tokens/s count completion tokens: the assistant tokens SFT learns from, the tokens GRPO and eval sample',
    sft_train_tokens_per_s: stages.sft.outputs.tokens_per_s,
    grpo_sample_tokens_per_s: stages.grpo.outputs.sample_tokens_per_s,
    eval_sample_tokens_per_s: Object.fromEntries(Object.entries(stages).filter(([k]) => k.startsWith('eval-')).map(([k, v]) => [k, v.outputs.sample_tokens_per_s])),
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,
    reference: { what: 'wasm 512×512 fp32 matmul GFLOP/s in this process, before and after the run', before: refBefore, after: refAfter },
    ratios: {
      sft_tokens_per_s_per_gflops: (stages.sft.outputs.tokens_per_s as number) / ref,
      grpo_sample_tokens_per_s_per_gflops: (stages.grpo.outputs.sample_tokens_per_s as number) / ref,
    },
    metrics: Object.fromEntries(summary.models.map((m) => [m.model, m.metrics['pass@1'].value])),
    p_value: summary.paired[0]?.p_value ?? null,
  };
}

const BENCHES: Record<string, [file: string, run: () => Promise<Record<string, unknown>>]> = {
  'tiny-r1': [recipeBackend ? `tiny-r1-v2-${recipeBackend}` : 'tiny-r1-v2', () => benchRecipe('recipes/tiny-r1/v2.yaml')],
  verify: ['verify', async () => (await import('../src/verify/bench.js')).benchVerify()],
  code: ['code', async () => (await import('../src/verify/code-bench.js')).benchCode()],
  eval: ['eval', async () => (await import('./eval-bench.js')).benchEvalHarness()],
  serve: ['serve', async () => ({ target_ms: 200, ...(await (await import('./serve-bench.js')).benchServe()) })],
  hf: ['hf-models', async () => (await import('./hf-bench.js')).benchHf()],
  'hf-sft': ['hf-sft', async () => (await import('./hf-sft-bench.js')).benchHfSft()],
  cpu: ['cpu', async () => (await import('./cpu-bench.js')).benchCpu()],
};

for (const name of which) {
  const bench = BENCHES[name];
  if (!bench) throw new Error(`unknown benchmark "${name}"; available: ${Object.keys(BENCHES).join(', ')}`);
  await record(root, bench[0], await bench[1]());
}

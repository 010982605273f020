// `npm run bench:gpu`, on the GPU machine: training step time of our GPT on tfjs-webgpu against PyTorch on the same
// card in the same run (bench/gpu_torch.py: eager fp32 with TF32 off, and bf16 autocast), for the three GPT
// configurations of ../shared/device/README.md, each with the fused WGSL kernels off and on; then a LoRA SFT step
// and batched sampling of a Qwen2.5-0.5B-shaped model against PyTorch + peft (bench/gpu-qwen.ts,
// bench/gpu_torch_qwen.py). Writes the ratios with the date and commit to reports/bench/gpu-<date>.json (or --out).
// REPRISE_BENCH_COMMIT names the commit where the tree has no .git. --configs=tiny,qwen-tiny smoke-tests it.

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/model/backend.js';
import { countParams, forward, initParams, type GptConfig } from '../src/model/gpt.js';
import { AdamW } from '../src/train/optim.js';
import { writeJsonAtomic } from '../src/util/fs.js';
import { setFused } from '../src/model/kernels/fused.js';
import { benchQwen, QWEN } from './gpu-qwen.js';
import { disposeBatch, GPT_ADAMW, msPerStep, randomBatch, TRAINING_STEP, trainingStep } from './train-step.js';

const CONFIGS = [
  { name: 'L4-d256-T128-B32-V1024', L: 4, d: 256, H: 4, T: 128, B: 32, V: 1024, steps: 20, torch_steps: 50, before: 37 },
  { name: 'L4-d512-T256-B32-V1024', L: 4, d: 512, H: 8, T: 256, B: 32, V: 1024, steps: 10, torch_steps: 30, before: 32 },
  { name: 'L8-d1024-T256-B16-V4096', L: 8, d: 1024, H: 16, T: 256, B: 16, V: 4096, steps: 8, torch_steps: 20, before: 13 },
  // a smoke test of the bench itself (--configs=tiny), e.g. over llvmpipe
  { name: 'tiny', L: 1, d: 64, H: 2, T: 16, B: 2, V: 64, steps: 2, torch_steps: 2, before: NaN },
];

// strict: an unknown flag, or --out without its value, stops the bench instead of overwriting today's record
const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: Object.fromEntries(['configs', 'backend', 'submit-batch', 'fused', 'torch-script', 'out'].map((k) => [k, { type: 'string' as const }])),
  strict: true,
  allowPositionals: false,
});
const arg = (k: string): string | undefined => flags[k] as string | undefined;

/** ms per training step (TRAINING_STEP). */
async function tfjsStep(c: (typeof CONFIGS)[number]): Promise<{ ms: number; params: number; loss: number }> {
  const cfg: GptConfig = { vocab_size: c.V, d_model: c.d, n_layer: c.L, n_head: c.H, context_length: c.T };
  const params = initParams(cfg, 1);
  const opt = new AdamW(params, GPT_ADAMW);
  const batch = randomBatch(c.B, c.T, c.V);
  let loss = NaN;
  const step = trainingStep((ids) => forward(params, cfg, ids), batch, opt);
  const ms = await msPerStep(async () => (loss = await step()), 3, c.steps);
  const n = countParams(params);
  opt.dispose();
  disposeBatch(batch);
  tf.dispose(Object.values(params));
  return { ms, params: n, loss };
}

/** The JSON a Python reference prints, or its error (the tfjs numbers are still written). */
function python(script: string, arg: unknown): { ok: true; out: Record<string, unknown> & { results: Record<string, unknown>[] } } | { ok: false; error: string } {
  try {
    return { ok: true, out: JSON.parse(execFileSync(process.env.PYTHON ?? 'python3', [script, JSON.stringify(arg)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 })) };
  } catch (e) {
    return { ok: false, error: (e as Error).message.split('\n')[0] };
  }
}

async function main(): Promise<void> {
  const only = arg('configs')?.split(',');
  const configs = CONFIGS.filter((c) => (only ? only.includes(c.name) : c.name !== 'tiny'));
  const qwens = (Object.keys(QWEN) as (keyof typeof QWEN)[]).filter((n) => (only ? only.includes(n) : n !== 'qwen-tiny'));
  await initBackend((arg('backend') ?? 'webgpu') as 'webgpu');
  // tfjs-webgpu submits its command buffer every this many dispatches (default 15)
  if (arg('submit-batch')) tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', Number(arg('submit-batch')));
  const fusedModes = tf.getBackend() !== 'webgpu' ? [false] : arg('fused') === 'on' ? [true] : arg('fused') === 'off' ? [false] : [false, true];
  const tfjs: Record<string, Partial<Record<'fused' | 'unfused', Awaited<ReturnType<typeof tfjsStep>>>>> = {};
  for (const c of configs) {
    tfjs[c.name] = {};
    for (const fused of fusedModes) {
      setFused(fused);
      const r = (tfjs[c.name][fused ? 'fused' : 'unfused'] = await tfjsStep(c));
      process.stderr.write(`tfjs-${tf.getBackend()} ${c.name} fused=${fused}: ${r.ms.toFixed(1)} ms/step (loss ${r.loss.toFixed(3)})\n`);
    }
  }
  setFused(undefined);
  const qwenTfjs: Record<string, Record<string, unknown>> = {};
  for (const n of qwens) {
    try {
      qwenTfjs[n] = await benchQwen(n, fusedModes);
    } catch (e) {
      qwenTfjs[n] = { error: (e as Error).message.split('\n')[0] };
      process.stderr.write(`tfjs ${n}: ${(qwenTfjs[n] as { error: string }).error}\n`);
    }
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const torch = configs.length ? python(arg('torch-script') ?? join(here, 'gpu_torch.py'), configs) : { ok: false as const, error: 'no GPT config' };
  const torchMs = (name: string, mode: string) => (torch.ok ? (torch.out.results.find((r) => r.name === name && r.mode === mode)?.ms_per_step as number | undefined) : undefined) ?? NaN;
  const results = configs.map((c) => {
    const fp32 = torchMs(c.name, 'fp32');
    const bf16 = torchMs(c.name, 'bf16');
    const t = tfjs[c.name];
    const best = t.fused ?? t.unfused!;
    return { config: c.name, params: best.params, tfjs_ms: best.ms, tfjs_ms_unfused: t.unfused?.ms ?? null, tfjs_ms_fused: t.fused?.ms ?? null, loss_unfused: t.unfused?.loss ?? null, loss_fused: t.fused?.loss ?? null, torch_fp32_ms: fp32, torch_bf16_ms: bf16, ratio_fp32: best.ms / fp32, ratio_fp32_unfused: t.unfused ? t.unfused.ms / fp32 : null, ratio_bf16: best.ms / bf16, ratio_fp32_before: c.before };
  });
  const qwen = qwens.map((n) => {
    const tq = python(join(here, 'gpu_torch_qwen.py'), QWEN[n]);
    const find = (what: string, mode: string) => (tq.ok ? tq.out.results.find((r) => r.what === what && r.mode === mode) : undefined) as { ms?: number; tokens_per_s?: number } | undefined;
    const t = qwenTfjs[n] as { fused?: { lora_step_ms: number; sample_tokens_per_s: number }; unfused?: { lora_step_ms: number; sample_tokens_per_s: number } };
    const best = t.fused ?? t.unfused;
    const ratios = (mode: string) => ({
      lora_step: best && find('lora_step', mode)?.ms ? best.lora_step_ms / find('lora_step', mode)!.ms! : null,
      // torch tokens/s ÷ tfjs tokens/s: how many times slower tfjs samples
      sampling: best && find('sample', mode)?.tokens_per_s ? find('sample', mode)!.tokens_per_s! / best.sample_tokens_per_s : null,
    });
    return { config: n, shape: QWEN[n], tfjs: qwenTfjs[n], torch: tq.ok ? tq.out : tq, ratio_fp32: ratios('fp32'), ratio_bf16: ratios('bf16') };
  });
  const commit = process.env.REPRISE_BENCH_COMMIT ?? (() => { try { return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { return null; } })();
  const out = {
    date: new Date().toISOString(),
    commit,
    tfjs_backend: tf.getBackend(),
    tfjs: tf.version.tfjs,
    dawn_toggles: process.env.REPRISE_WEBGPU_TOGGLES ?? null,
    submit_batch: tf.getBackend() === 'webgpu' ? tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') : null,
    torch: torch.ok ? torch.out.torch : torch.error,
    device: torch.ok ? torch.out.device : null,
    method: `GPT: ms per training step (${TRAINING_STEP}) after 3 warm-up steps, with the fused WGSL kernels off (tfjs_ms_unfused) and on (tfjs_ms_fused; tfjs_ms is the fused one when measured); ratio = tfjs ÷ torch; ratio_fp32_before: the same ratio measured 2026-11-28 before the custom gradients and kept scalars (shared/device/README.md). Qwen: LoRA SFT step ms ratio tfjs ÷ torch+peft, and sampling ratio torch tokens/s ÷ tfjs tokens/s (32 rows, 16-token prompts, 32 new tokens, KV cache)`,
    results,
    qwen,
  };
  const file = arg('out') ?? join(here, '..', 'reports/bench', `gpu-${out.date.slice(0, 10)}.json`);
  writeJsonAtomic(file, out);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

await main();
process.exit(0);

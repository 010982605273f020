// `npm run bench -- cpu`: training and sampling tokens/s of our GPT on the CPU against PyTorch (bench/cpu_torch.py)
// with the same weights in the same run: interleaved rounds, medians, ratios = Reprise ÷ PyTorch. Tokens/s count
// every position (training: B×T per step; sampling: B × new tokens, prompt prefill included, KV cache on both sides).
// A SmolLM2-135M-shaped Llama (forward, LoRA step, sampling) is recorded beside, Reprise only.
// Reprise runs on `blas` (where OpenBLAS and koffi load) and `wasm` (REPRISE_BENCH_BACKENDS=wasm,... to choose);
// REPRISE_BENCH_ROUNDS (default 5); PYTHON names the interpreter with torch.

import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend, backendInfo, type BackendName } from '../src/model/backend.js';
import { countParams, initParams, forward, type GptConfig, type Params } from '../src/model/gpt.js';
import { gptLM } from '../src/model/lm.js';
import { AdamW } from '../src/train/optim.js';
import { sampleBatch } from '../src/inference/sample.js';
import { Rng } from '../src/util/rng.js';
import { benchLlama } from './cpu-llama.js';
import { disposeBatch, GPT_ADAMW, msPerStep, randomBatch, TRAINING_STEP, trainingStep } from './train-step.js';

const MODELS = [
  // the tiny-r1 recipe's model; its character vocabulary is about this size
  { name: 'tiny-r1 (d128 L4 T96 V32)', L: 4, d: 128, H: 4, T: 96, V: 32, B: 16, steps: 6, prompt: 16, new: 64 },
  { name: 'gpt d256 L4 T128 V1024', L: 4, d: 256, H: 4, T: 128, V: 1024, B: 32, steps: 3, prompt: 16, new: 64 },
];
const SAMPLE_BATCHES = [1, 64];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The PyTorch worker, or why there is none. */
export async function startTorch(threads: number): Promise<{ ask: (req: object) => Promise<Record<string, number>>; info: Record<string, unknown>; stop: () => void } | string> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'cpu_torch.py');
  // Debian's python3-torch lives under /usr/bin/python3, which a pyenv python3 on PATH hides
  const python = process.env.PYTHON ?? (spawnSync('python3', ['-c', 'import torch']).status === 0 || !existsSync('/usr/bin/python3') ? 'python3' : '/usr/bin/python3');
  const py = spawn(python, [script, String(threads)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  py.stderr.on('data', (d) => (err += d));
  const lines = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<string>((res) => py.on('close', (code) => res(`${python} exited with ${code}: ${err.trim().split('\n').pop() ?? ''}`)));
  py.on('error', (e) => (err += e.message));
  const next = async () => {
    const r = await Promise.race([lines.next(), exited]);
    if (typeof r === 'string') throw new Error(r);
    if (r.done) throw new Error(await exited);
    return JSON.parse(r.value as string) as Record<string, number>;
  };
  try {
    const info = await next();
    return { info, ask: async (req) => (py.stdin.write(JSON.stringify(req) + '\n'), next()), stop: () => py.stdin.end() };
  } catch (e) {
    return `the PyTorch side was skipped: ${(e as Error).message}`;
  }
}

function writeWeights(p: Params, file: string): [string, number[]][] {
  const names = Object.keys(p);
  const parts = names.map((k) => p[k].dataSync() as Float32Array);
  const all = new Float32Array(parts.reduce((n, a) => n + a.length, 0));
  let off = 0;
  for (const a of parts) (all.set(a, off), (off += a.length));
  writeFileSync(file, all);
  return names.map((k) => [k, p[k].shape]);
}

async function benchGpt(m: (typeof MODELS)[number], torch: Awaited<ReturnType<typeof startTorch>>, rounds: number, dir: string, backends: BackendName[]) {
  const cfg: GptConfig = { vocab_size: m.V, d_model: m.d, n_layer: m.L, n_head: m.H, context_length: m.T + m.prompt };
  const params = initParams(cfg, 1);
  const batch = randomBatch(m.B, m.T, m.V);
  const saved = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, tf.keep(v.clone())]));
  const trainOnce = async () => {
    const opt = new AdamW(params, GPT_ADAMW);
    const losses: number[] = [];
    const step = trainingStep((ids) => forward(params, cfg, ids), batch, opt);
    const ms = await msPerStep(async () => losses.push(await step()), 2, m.steps);
    opt.dispose();
    for (const [k, v] of Object.entries(saved)) params[k].assign(v);
    return { ms, first_loss: losses[0] };
  };
  const lm = gptLM({ cfg, params });
  const sampleOnce = async (B: number) => {
    const prompts = Array.from({ length: B }, () => new Array(m.prompt).fill(0));
    const t0 = performance.now();
    await sampleBatch(lm, prompts, { temperature: 0, top_p: 1, max_tokens: m.new }, [], 0, new Rng('bench'));
    return performance.now() - t0;
  };
  let index: [string, number[]][] | undefined;
  if (typeof torch !== 'string') {
    index = writeWeights(params, join(dir, 'w.bin'));
    await torch.ask({ op: 'load', cfg, weights: join(dir, 'w.bin'), index });
  }
  const empty = () => ({ train: [] as number[], loss: NaN, sample: Object.fromEntries(SAMPLE_BATCHES.map((b) => [b, [] as number[]])) });
  const ours = Object.fromEntries(backends.map((b) => [b, empty()]));
  const theirs = empty();
  const idv = Array.from(batch.ids.dataSync());
  const tv = Array.from(batch.targets.dataSync());
  // one uncounted round: the JIT and first allocations
  for (const b of backends) {
    await initBackend(b);
    await trainOnce();
    for (const B of SAMPLE_BATCHES) await sampleOnce(B);
  }
  for (let r = 0; r < rounds; r++) {
    const line: string[] = [];
    for (const b of backends) {
      await initBackend(b);
      const t = await trainOnce();
      ours[b].train.push(t.ms);
      ours[b].loss = t.first_loss;
      for (const B of SAMPLE_BATCHES) ours[b].sample[B].push(await sampleOnce(B));
      line.push(`${b} ${t.ms.toFixed(0)}`);
    }
    if (typeof torch !== 'string') {
      const tt = await torch.ask({ op: 'train', B: m.B, T: m.T, steps: m.steps, ids: idv, targets: tv });
      theirs.train.push(tt.ms_per_step);
      theirs.loss = tt.first_loss;
      for (const B of SAMPLE_BATCHES) theirs.sample[B].push((await torch.ask({ op: 'sample', B, prompt: m.prompt, new: m.new })).ms);
      line.push(`pytorch ${tt.ms_per_step.toFixed(0)}`);
    }
    process.stderr.write(`${m.name} round ${r + 1}/${rounds}: ms per training step: ${line.join(', ')}\n`);
  }
  const trainTok = (ms: number) => (m.B * m.T * 1000) / ms;
  const sampleTok = (B: number, ms: number) => (B * m.new * 1000) / ms;
  const figures = (x: ReturnType<typeof empty>) => ({ train_tokens_per_s: trainTok(median(x.train)), ...Object.fromEntries(SAMPLE_BATCHES.map((B) => [`sample_b${B}_tokens_per_s`, sampleTok(B, median(x.sample[B]))])), first_loss: x.loss });
  const row: Record<string, unknown> = { model: m.name, params: countParams(params), train_batch: `${m.B}×${m.T}` };
  for (const b of backends) row[`reprise_${b}`] = figures(ours[b]);
  if (typeof torch !== 'string') {
    const t = figures(theirs);
    row.pytorch = t;
    for (const b of backends) {
      const r = row[`reprise_${b}`] as Record<string, number>;
      row[`ratios_${b}`] = Object.fromEntries(Object.entries(t).filter(([k]) => k.endsWith('per_s')).map(([k, v]) => [k, r[k] / v]));
      row[`first_loss_difference_${b}`] = Math.abs(ours[b].loss - theirs.loss);
    }
  }
  disposeBatch(batch);
  tf.dispose([...Object.values(saved), ...Object.values(params)]);
  return row;
}

export async function benchCpu(): Promise<Record<string, unknown>> {
  // both CPU backends by default: blas where OpenBLAS and koffi load, and the wasm reference
  const asked = process.env.REPRISE_BENCH_BACKENDS?.split(',') as BackendName[] | undefined;
  const backends: BackendName[] = asked ?? ['blas', 'wasm'];
  let blasSkipped: string | undefined;
  if (!asked) await initBackend('blas').catch((e: Error) => {
    blasSkipped = e.message.split('\n')[0];
    backends.shift();
    process.stderr.write(`${blasSkipped}; measuring wasm only\n`);
  });
  const blas = await initBackend(backends[0]).then(() => backendInfo());
  const rounds = Number(process.env.REPRISE_BENCH_ROUNDS ?? 5);
  const threads = Number(process.env.REPRISE_BENCH_TORCH_THREADS ?? 2);
  const torch = await startTorch(threads);
  if (typeof torch === 'string') process.stderr.write(`${torch}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'reprise-cpu-bench-'));
  try {
    const models = [];
    for (const m of MODELS) models.push(await benchGpt(m, torch, rounds, dir, backends));
    const llama: Record<string, unknown> = {};
    for (const b of backends) {
      await initBackend(b);
      llama[b] = await benchLlama();
    }
    return {
      method: `medians of ${rounds} interleaved rounds; training: ms per step (${TRAINING_STEP}) after 2 warm-up steps, tokens/s = B×T per step; sampling: greedy with a KV cache from a 16-token prompt, 64 new tokens, tokens/s = B×64 ÷ wall time; ratio = Reprise ÷ PyTorch; first_loss_difference: the two sides' first losses from the same weights`,
      reprise_backends: backends,
      blas: blasSkipped ?? blas,
      pytorch: typeof torch === 'string' ? torch : { ...torch.info, threads },
      models,
      smollm2_135m_shaped: llama,
    };
  } finally {
    if (typeof torch !== 'string') torch.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

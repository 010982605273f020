import { beforeAll, describe, expect, it } from 'vitest';
import { disposeScalars } from '../../src/model/kernels/scalars.js';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/model/backend.js';
import { createModel, disposeModel, gptLM, loadModel } from '../../src/model/lm.js';
import { gptPolicy } from '../../src/model/policy.js';
import { mm } from '../../src/model/gpt.js';
import { trainSft } from '../../src/train/sft.js';
import { trainGrpo } from '../../src/train/grpo.js';
import { tinyGrpo, tinySft } from '../fixtures/tiny-r1-stages.js';
import { tinyR1Addition } from '../../datagen/tiny-r1/index.js';
import { DEFAULT_SPECIALS } from '../../src/model/tokenizer.js';
import { readJsonl } from '../../src/util/fs.js';

const spec = { kind: 'char' as const, chars: tinyR1Addition.chars, specials: DEFAULT_SPECIALS };
const tiny = { d_model: 32, n_layer: 1, n_head: 2, context_length: 96 };
const data = tinyR1Addition.generate(5, { sft: { count: 16, digit_weights: [1, 1] }, rl: { count: 8, digit_weights: [1, 1] } });

beforeAll(async () => {
  process.env.REPRISE_QUIET = '1';
  await initBackend('wasm');
});

describe('training steps', () => {
  it('the rank-2 matmul with explicit-transpose gradients matches autodiff of tf.matMul', () => {
    const a = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const b = tf.tensor2d([[1, 0], [0, 1], [2, -1]]);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => mm(x, y).square().sum())([a, b]);
    const [ea, eb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D).square().sum())([a, b]);
    expect(Array.from(ga.dataSync())).toEqual(Array.from(ea.dataSync()));
    expect(Array.from(gb.dataSync())).toEqual(Array.from(eb.dataSync()));
  });

  it('SFT steps leak no tensors and lower the loss', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-sft-'));
    const model = createModel(tiny, spec, 1);
    disposeScalars(); // the kernels' kept scalars are made on first use
    const before = tf.memory().numTensors;
    await trainSft({ model: gptPolicy(model), conversations: data.sft, cfg: { ...tinySft, steps: 12, batch_size: 8, checkpoint_every: 100, log_every: 1 }, seed: 1, ckpt: join(dir, 'ckpt.safetensors'), logFile: join(dir, 'log.jsonl') });
    disposeScalars();
    expect(tf.memory().numTensors).toBe(before);
    const rows = readJsonl<{ loss: number }>(join(dir, 'log.jsonl'));
    expect(rows.length).toBe(12);
    expect(rows[rows.length - 1].loss).toBeLessThan(rows[0].loss);
  });

  it('GRPO steps leak no tensors and log every reward and diagnostic', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-grpo-'));
    const model = createModel(tiny, spec, 1);
    const reference = createModel(tiny, spec, 2); // a different policy, so the KL term is non-zero from the first step
    const prompts = data.rl.map((r) => ({ id: r.id, messages: r.messages.slice(0, 1), answer: r.answer }));
    disposeScalars(); // the kernels' kept scalars are made on first use
    const before = tf.memory().numTensors;
    await trainGrpo({ model: gptPolicy(model), reference: gptLM(reference), prompts, cfg: { ...tinyGrpo, steps: 2, prompts_per_step: 2, group_size: 3, max_tokens: 12, ppo_epochs: 2, beta: 0.1 }, seed: 1, ckpt: join(dir, 'ckpt.safetensors'), logFile: join(dir, 'log.jsonl') });
    disposeScalars();
    expect(tf.memory().numTensors).toBe(before);
    const rows = readJsonl<Record<string, number>>(join(dir, 'log.jsonl'));
    expect(rows.length).toBe(2);
    for (const k of ['reward/accuracy/mean', 'reward/accuracy/std', 'reward/format/mean', 'reward/format/std', 'completion_len', 'kl', 'clip_frac', 'entropy']) expect(rows[1][k], k).toBeTypeOf('number');
    expect(rows[1].kl).toBeGreaterThan(0);
  });

  const allFinite = (ckpt: string) => {
    const saved = loadModel(ckpt);
    const ok = Object.values(saved.model.params).every((p) => Array.from(p.dataSync()).every(Number.isFinite));
    disposeModel(saved.model);
    for (const t of Object.values(saved.extra)) t.dispose();
    return { ok, step: Number(saved.state.step) };
  };

  it('SFT with lr 1e308 stops at the first non-finite step, naming it, and keeps the last finite checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-sft-nan-'));
    const run = { conversations: data.sft, seed: 1, ckpt: join(dir, 'ckpt.safetensors'), logFile: join(dir, 'log.jsonl') };
    const cfg = { ...tinySft, steps: 3, batch_size: 4, checkpoint_every: 1, log_every: 1 };
    const model = createModel(tiny, spec, 1);
    await trainSft({ ...run, model: gptPolicy(model), cfg });
    disposeScalars(); // the kernels' kept scalars are made on first use
    const before = tf.memory().numTensors;
    await expect(trainSft({ ...run, model: gptPolicy(model), cfg: { ...cfg, steps: 6, lr: 1e308 } })).rejects.toThrow(/^sft: .* at step 3; training stopped, keeping the last finite checkpoint \(3 steps done\)/);
    disposeScalars();
    expect(tf.memory().numTensors).toBe(before);
    expect(allFinite(run.ckpt)).toEqual({ ok: true, step: 3 });
    expect(readJsonl<{ step: number }>(run.logFile).map((r) => r.step)).toEqual([0, 1, 2]);
    disposeModel(model);
  });

  it('GRPO with lr 1e308 stops at its first step with no checkpoint written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-grpo-nan-'));
    const model = createModel(tiny, spec, 1);
    const prompts = data.rl.map((r) => ({ id: r.id, messages: r.messages.slice(0, 1), answer: r.answer }));
    disposeScalars(); // the kernels' kept scalars are made on first use
    const before = tf.memory().numTensors;
    await expect(trainGrpo({ model: gptPolicy(model), prompts, cfg: { ...tinyGrpo, steps: 2, prompts_per_step: 2, group_size: 3, max_tokens: 12, beta: 0, lr: 1e308, checkpoint_every: 1 }, seed: 1, ckpt: join(dir, 'ckpt.safetensors'), logFile: join(dir, 'log.jsonl') })).rejects.toThrow(/^grpo: .* at step 0; training stopped before any checkpoint/);
    disposeScalars();
    expect(tf.memory().numTensors).toBe(before);
    expect(existsSync(join(dir, 'ckpt.safetensors'))).toBe(false);
    disposeModel(model);
  });
});

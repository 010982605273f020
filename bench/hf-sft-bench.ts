// One LoRA SFT step of a random Qwen2.5-0.5B-shaped checkpoint on wasm, the loss taken over the whole [N, V] logits
// (forward + masked cross-entropy, as before the loss went over the vocabulary in chunks of rows) and in chunks
// (sftLoss, as trainSft takes it), at several shapes: seconds, tokens/s, the peak of tfjs' tensor bytes during the
// step (beyond the weights), hf-memory.ts' estimate of it, and the wasm heap's size after it. Each case in a fresh
// child process (the heap only grows); a case the estimate refuses records the E_MEMORY message.
// REPRISE_HF_SFT_CASES=chunked:1x512,... picks the cases.

import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/model/backend.js';
import { loadHfModel } from '../src/model/hf-model.js';
import { trainStepParts } from '../src/model/hf-memory.js';
import { lossChunkRows } from '../src/model/vocab-loss.js';
import { attachLora, LoraSettings } from '../src/model/lora.js';
import { maskedCrossEntropy, sftLoss } from '../src/train/losses.js';
import { SHAPES, writeRandom } from './hf-bench.js';

const SHAPE = 'qwen2.5-0.5b';
const CASES = ['logits:1x64', 'chunked:1x64', 'logits:1x512', 'chunked:1x512', 'chunked:2x512'];
const R = 8;
const GiB = 2 ** 30;
const heapGib = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength / GiB;

async function step(dir: string, kase: string): Promise<Record<string, unknown>> {
  const [loss, shape] = kase.split(':');
  const [B, T] = shape.split('x').map(Number);
  const m = await loadHfModel(dir, { backend: 'wasm' });
  attachLora(m, LoraSettings.parse({ r: R, lora_alpha: 2 * R }), 1);
  const V = m.config.vocab_size;
  const n = B * T;
  const ids = tf.tensor2d(Int32Array.from({ length: n }, (_, i) => (i * 104729) % V), [B, T], 'int32');
  const targets = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => (i * 7907 + 1) % V), 'int32');
  const mask = tf.ones([n]) as tf.Tensor1D;
  const params = Object.values(m.trainable).reduce((a, v) => a + v.size, 0);
  const parts = trainStepParts(m.decoder, B, T, { rank: R, params, lossRows: loss === 'chunked' ? lossChunkRows(V) : undefined });
  const estimate = parts.reduce((a, p) => a + p.bytes, 0) - 2 * 4 * params; // no AdamW moments in this step
  const held = tf.memory().numBytes;
  const t0 = performance.now();
  let lossValue = NaN;
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => (loss === 'chunked' ? sftLoss(m, ids, targets, mask, 1) : maskedCrossEntropy(m.forward(ids, { train: true, seed: 1 }), targets, mask)), Object.values(m.trainable));
    lossValue = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
  });
  const s = (performance.now() - t0) / 1000;
  return { loss: lossValue, step_s: s, tokens_per_s: n / s, peak_gib: (info.peakBytes - held) / GiB, estimate_gib: estimate / GiB, weights_gib: held / GiB, heap_gib: heapGib() };
}

export async function benchHfSft(cases = process.env.REPRISE_HF_SFT_CASES?.split(',') ?? CASES): Promise<Record<string, unknown>> {
  const dir = join(mkdtempSync(join(tmpdir(), 'reprise-hf-sft-')), SHAPE);
  const out: Record<string, unknown> = {
    units: `a random ${SHAPE}-shaped BF16 checkpoint (vocabulary ${SHAPES[SHAPE].vocab_size}), LoRA r ${R} on every projection, one SFT step (forward, loss, gradients; no optimizer), all positions in the loss; logits: the loss over the [N, V] logits; chunked: over the vocabulary in chunks of rows (sftLoss); peak_gib: tfjs' peak tensor bytes during the step beyond what was held before it (the weights); estimate_gib: hf-memory.ts' trainStepParts for it; heap_gib: the wasm heap's size after the step (cap 4 GiB); each case in a fresh process`,
  };
  try {
    writeRandom(dir, SHAPES[SHAPE]);
    for (const kase of cases) {
      const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), dir, kase], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
      const last = r.stdout.trim().split('\n').pop() ?? '';
      try {
        out[kase] = JSON.parse(last);
      } catch {
        out[kase] = { error: `the child process ended with status ${r.status}${r.signal ? ` (${r.signal})` : ''} and no result`, stdout_tail: r.stdout.slice(-400) };
      }
    }
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
  return out;
}

async function child(dir: string, kase: string): Promise<void> {
  await initBackend('wasm');
  let res: Record<string, unknown>;
  try {
    res = await step(dir, kase);
  } catch (e) {
    res = { error: (e as Error).message.split('\n')[0] };
  }
  process.stdout.write('\n' + JSON.stringify(res) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[3]) await child(process.argv[2], process.argv[3]);

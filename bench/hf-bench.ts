// Hugging Face model layer on wasm: random BF16 checkpoints shaped like SmolLM2-135M and Qwen2.5-0.5B, written to a
// temp dir, then load time, forward tokens/s (one 256-token row), a LoRA SFT step (tokens/s) and sampling tokens/s
// at batch 1 and 32 with the KV cache, each with the wasm heap's size after it (the heap only grows, so this is the
// high-water mark of everything so far: tensors, XNNPACK's packed operands, fragmentation; its cap is 4 GiB).
// REPRISE_HF_BENCH=qwen2.5-0.5b (comma-separated names) measures only those shapes.

import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/model/backend.js';
import { parseDecoderConfig } from '../src/model/hf-config.js';
import { expectedTensors } from '../src/model/hf-weights.js';
import { loadHfModel, type HfModel } from '../src/model/hf-model.js';
import { sampleBatch } from '../src/inference/sample.js';
import { attachLora, LoraSettings } from '../src/model/lora.js';
import { AdamW } from '../src/train/optim.js';
import { Rng } from '../src/util/rng.js';
import { disposeBatch, LORA_ADAMW, TRAINING_STEP, trainingStep, type Batch } from './train-step.js';

export const SHAPES: Record<string, Record<string, unknown>> = {
  'smollm2-135m': { model_type: 'llama', vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, max_position_embeddings: 8192, rms_norm_eps: 1e-5, tie_word_embeddings: true, rope_theta: 100000, eos_token_id: 0 },
  'qwen2.5-0.5b': { model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768, rms_norm_eps: 1e-6, tie_word_embeddings: true, rope_theta: 1000000, eos_token_id: 151643 },
};

function pick(names: string | undefined): Record<string, Record<string, unknown>> {
  if (!names) return SHAPES;
  const out: Record<string, Record<string, unknown>> = {};
  for (const n of names.split(',')) {
    if (!SHAPES[n]) throw new Error(`REPRISE_HF_BENCH: unknown shape "${n}"; available: ${Object.keys(SHAPES).join(', ')}`);
    out[n] = SHAPES[n];
  }
  return out;
}

/** A random BF16 checkpoint (N(0, 0.02)-ish weights, unit norms) for a config, written without holding float32 copies. */
export function writeRandom(dir: string, config: Record<string, unknown>): number {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const tensors = [...expectedTensors(parseDecoderConfig(config, 'config.json'))];
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, shape] of tensors) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 2;
    header[name] = { dtype: 'BF16', shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const h = Buffer.from(text);
  const buf = Buffer.alloc(8 + h.length + off);
  buf.writeBigUInt64LE(BigInt(h.length), 0);
  h.copy(buf, 8);
  const body = new Uint16Array(buf.buffer, buf.byteOffset + 8 + h.length, off / 2);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const rng = new Rng('hf-bench');
  for (const [name] of tensors) {
    const [s, e] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    const norm = name.endsWith('norm.weight');
    for (let i = s / 2; i < e / 2; i++) {
      f[0] = norm ? 1 : (rng.next() - 0.5) * 0.07;
      body[i] = u[0] >>> 16;
    }
  }
  writeFileSync(join(dir, 'model.safetensors'), buf);
  return off;
}

const GiB = 2 ** 30;
const FORWARD_T = 256;
const SFT = { B: 1, T: 64, r: 8 };

const heapGib = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength / GiB;

/** Seconds of f, and the wasm heap's size after it. */
async function measure(f: () => unknown): Promise<{ s: number; heap_gib: number }> {
  const t0 = performance.now();
  await f();
  return { s: (performance.now() - t0) / 1000, heap_gib: heapGib() };
}

/** One LoRA SFT step as trainSft takes it (TRAINING_STEP, gradients of the factors only). */
async function sftStep(m: HfModel, V: number): Promise<{ tokens_per_s: number; heap_gib: number }> {
  attachLora(m, LoraSettings.parse({ r: SFT.r, lora_alpha: 2 * SFT.r }), 1);
  const opt = new AdamW(m.trainable, LORA_ADAMW);
  const n = SFT.B * SFT.T;
  const batch: Batch = {
    ids: tf.tensor2d(Int32Array.from({ length: n }, (_, i) => (i * 104729) % V), [SFT.B, SFT.T], 'int32'),
    targets: tf.tensor1d(Int32Array.from({ length: n }, (_, i) => (i * 7907 + 1) % V), 'int32'),
    mask: tf.ones([n]) as tf.Tensor1D,
  };
  try {
    const r = await measure(trainingStep(m, batch, opt, Object.values(m.trainable)));
    return { tokens_per_s: n / r.s, heap_gib: r.heap_gib };
  } finally {
    opt.dispose();
    disposeBatch(batch);
  }
}

async function benchShape(name: string, config: Record<string, unknown>): Promise<Record<string, unknown>> {
  const dir = join(mkdtempSync(join(tmpdir(), 'reprise-hf-bench-')), name);
  try {
    const bf16Bytes = writeRandom(dir, config);
    const t0 = performance.now();
    const m = await loadHfModel(dir, { backend: 'wasm' });
    const loadS = (performance.now() - t0) / 1000;
    const weightsGib = tf.memory().numBytes / GiB;
    const loadHeap = heapGib();
    const V = m.config.vocab_size;
    const ids = tf.tensor2d(Array.from({ length: FORWARD_T }, (_, i) => (i * 7919) % V), [1, FORWARD_T], 'int32');
    tf.tidy(() => void m.forward(ids.slice([0, 0], [1, 8])).dataSync()); // warm-up
    const fwd = await measure(() => tf.tidy(() => void m.forward(ids).dataSync()));
    ids.dispose();
    const sampling: Record<string, { tokens_per_s: number; heap_gib: number }> = {};
    for (const B of [1, 32]) {
      const prompts = Array.from({ length: B }, (_, b) => Array.from({ length: 16 }, (_, i) => (b * 131 + i * 17) % V));
      let tokens = 0;
      const r = await measure(async () => {
        const res = await sampleBatch(m, prompts, { temperature: 1, top_p: 1, max_tokens: 32 }, [], 0, prompts.map((_, b) => new Rng(`bench/${b}`)));
        tokens = res.reduce((a, x) => a + x.tokens.length, 0);
      });
      sampling[`batch_${B}`] = { tokens_per_s: tokens / r.s, heap_gib: r.heap_gib };
    }
    const sft = await sftStep(m, V);
    m.dispose();
    return { params_m: bf16Bytes / 2 / 1e6, weights_gib: weightsGib, load_s: loadS, load_heap_gib: loadHeap, forward: { tokens_per_s: FORWARD_T / fwd.s, heap_gib: fwd.heap_gib }, lora_sft_step: sft, sample: sampling };
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}

/** Each shape in a child process of its own: a fresh wasm heap (no fragments of the previous model), and an abort inside tfjs ends that child only. */
export async function benchHf(shapes: Record<string, Record<string, unknown>> = pick(process.env.REPRISE_HF_BENCH)): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {
    units: `load_s: BF16 safetensors to float32 tensors on the wasm heap; forward: one ${FORWARD_T}-token row; lora_sft_step: one step (${TRAINING_STEP}) on ${SFT.B} × ${SFT.T} tokens, LoRA r ${SFT.r} on every projection; sample: 16-token prompts, 32 new tokens per row, KV cache; heap_gib: the wasm heap's size after the step (its high-water mark so far; the cap is 4 GiB); each shape in a fresh process`,
  };
  for (const name of Object.keys(shapes)) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    try {
      out[name] = JSON.parse(last);
    } catch {
      out[name] = { error: `the child process ended with status ${r.status}${r.signal ? ` (${r.signal})` : ''} and no result`, stdout_tail: r.stdout.slice(-400) };
    }
  }
  return out;
}

/** The child: one shape, its figures (or its error) as the last line of stdout. */
async function child(name: string): Promise<void> {
  await initBackend('wasm');
  let res: Record<string, unknown>;
  try {
    res = await benchShape(name, SHAPES[name]);
  } catch (e) {
    res = { error: (e as Error).message.split('\n')[0] };
  }
  process.stdout.write('\n' + JSON.stringify(res) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) await child(process.argv[2]);

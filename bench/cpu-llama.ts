// The SmolLM2-135M-shaped Llama beside the GPT figures of bench/cpu-bench.ts (Reprise only): forward tokens/s on one
// 128-token row, a LoRA training step (r 8, every linear layer, AdamW) on 1 × 128 tokens, sampling with a KV cache.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { backendInfo, initBackend, type BackendName } from '../src/model/backend.js';
import { loadHfModel } from '../src/model/hf-model.js';
import { attachLora, LoraSettings } from '../src/model/lora.js';
import { AdamW } from '../src/train/optim.js';
import { sampleBatch } from '../src/inference/sample.js';
import { Rng } from '../src/util/rng.js';
import { SHAPES, writeRandom } from './hf-bench.js';
import { disposeBatch, LORA_ADAMW, msPerStep, trainingStep, type Batch } from './train-step.js';

export async function benchLlama(): Promise<Record<string, unknown>> {
  const dir = join(mkdtempSync(join(tmpdir(), 'reprise-cpu-llama-')), 'smollm2');
  try {
    writeRandom(dir, SHAPES['smollm2-135m']);
    const m = await loadHfModel(dir, { backend: backendInfo().name });
    const V = m.config.vocab_size;
    const T = 128;
    const ids = (B: number) => tf.tensor2d(Array.from({ length: B * T }, (_, i) => (i * 7919) % V), [B, T], 'int32');
    const x1 = ids(1);
    tf.tidy(() => void m.forward(x1.slice([0, 0], [1, 8])).dataSync());
    let t0 = performance.now();
    tf.tidy(() => void m.forward(x1).dataSync());
    const forward = T / ((performance.now() - t0) / 1000);
    x1.dispose();
    attachLora(m, LoraSettings.parse({}), 1);
    const opt = new AdamW(m.trainable, LORA_ADAMW);
    const B = 1;
    const batch: Batch = { ids: ids(B), targets: tf.randomUniform([B * T], 0, V, 'int32', 3) as tf.Tensor1D, mask: tf.ones([B * T]) as tf.Tensor1D };
    const loraMs = await msPerStep(trainingStep(m, batch, opt, Object.values(m.trainable)), 1, 1);
    opt.dispose();
    disposeBatch(batch);
    const sampling: Record<string, number> = {};
    for (const b of [1, 16]) {
      const prompts = Array.from({ length: b }, (_, r) => Array.from({ length: 16 }, (_, i) => (r * 131 + i * 17) % V));
      t0 = performance.now();
      const res = await sampleBatch(m, prompts, { temperature: 0, top_p: 1, max_tokens: 16 }, [], 0, new Rng("bench"));
      sampling[`sample_b${b}_tokens_per_s`] = res.reduce((a, r) => a + r.tokens.length, 0) / ((performance.now() - t0) / 1000);
    }
    m.dispose();
    return { what: 'random weights, SmolLM2-135M shape; forward: 1 × 128 tokens; LoRA step: 1 × 128 tokens; sampling: 16-token prompts, 16 new tokens', forward_tokens_per_s: forward, lora_step_ms: loraMs, lora_train_tokens_per_s: (B * T * 1000) / loraMs, ...sampling };
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}

// run alone (`tsx bench/cpu-llama.ts <backend>`): a wasm abort then costs only this figure
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await initBackend((process.argv[2] ?? 'wasm') as BackendName);
  process.stdout.write(JSON.stringify(await benchLlama()) + '\n');
}

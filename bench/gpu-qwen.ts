// The Qwen2.5-0.5B-shaped part of bench/gpu.ts on tfjs: a LoRA SFT step (r 8, alpha 16, all seven linear layers,
// AdamW over the adapters, masked cross-entropy over every position) and batched sampling with the KV cache,
// on a random BF16 checkpoint of that shape. bench/gpu_torch_qwen.py measures the same on PyTorch + peft.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHfModel, type HfModel } from '../src/model/hf-model.js';
import { attachLora, LoraSettings } from '../src/model/lora.js';
import { AdamW } from '../src/train/optim.js';
import { sampleBatch } from '../src/inference/sample.js';
import { setFused } from '../src/model/kernels/fused.js';
import { Rng } from '../src/util/rng.js';
import { SHAPES, writeRandom } from './hf-bench.js';
import { disposeBatch, LORA_ADAMW, msPerStep, randomBatch, trainingStep } from './train-step.js';

export const QWEN = {
  'qwen2.5-0.5b': { config: SHAPES['qwen2.5-0.5b'], B: 4, T: 256, steps: 5, sample_B: 32, prompt: 16, new_tokens: 32 },
  // a smoke test of the bench itself (--configs=qwen-tiny), e.g. over llvmpipe
  'qwen-tiny': { config: { ...SHAPES['qwen2.5-0.5b'], vocab_size: 512, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, eos_token_id: 0 }, B: 2, T: 16, steps: 2, sample_B: 2, prompt: 4, new_tokens: 4 },
};
export type QwenBench = (typeof QWEN)[keyof typeof QWEN];

/** ms per LoRA SFT step (TRAINING_STEP, gradients of the factors only), after 2 warm-up steps. */
async function loraStep(m: HfModel, q: QwenBench): Promise<{ ms: number; loss: number; trainable: number }> {
  const V = m.config.vocab_size;
  const opt = new AdamW(m.trainable, LORA_ADAMW);
  const batch = randomBatch(q.B, q.T, V);
  let loss = NaN;
  const step = trainingStep(m, batch, opt, Object.values(m.trainable));
  const ms = await msPerStep(async () => (loss = await step()), 2, q.steps);
  opt.dispose();
  disposeBatch(batch);
  return { ms, loss, trainable: Object.values(m.trainable).reduce((a, t) => a + t.size, 0) };
}

/** Completion tokens per second of sample_B rows, prompt tokens each, new_tokens each (no eos). */
async function sampling(m: HfModel, q: QwenBench): Promise<number> {
  const V = m.config.vocab_size;
  const prompts = Array.from({ length: q.sample_B }, (_, b) => Array.from({ length: q.prompt }, (_, i) => (b * 131 + i * 17) % V));
  const run = () => sampleBatch(m, prompts, { temperature: 1, top_p: 1, max_tokens: q.new_tokens }, [], 0, prompts.map((_, b) => new Rng(`bench/${b}`)));
  await run();
  const t0 = performance.now();
  const res = await run();
  return res.reduce((a, r) => a + r.tokens.length, 0) / ((performance.now() - t0) / 1000);
}

/** Both measurements for each fused setting (the checkpoint is written and loaded once). */
export async function benchQwen(name: keyof typeof QWEN, fusedModes: boolean[]): Promise<Record<string, unknown>> {
  const q = QWEN[name];
  const dir = join(mkdtempSync(join(tmpdir(), 'reprise-gpu-qwen-')), name);
  try {
    writeRandom(dir, q.config);
    const m = await loadHfModel(dir, { backend: 'webgpu' });
    const out: Record<string, unknown> = {};
    for (const fused of fusedModes) {
      setFused(fused);
      const tok_s = await sampling(m, q);
      out[fused ? 'fused' : 'unfused'] = { sample_tokens_per_s: tok_s };
      process.stderr.write(`tfjs ${name} fused=${fused}: sampling ${tok_s.toFixed(1)} tokens/s\n`);
    }
    attachLora(m, LoraSettings.parse({}), 1);
    for (const fused of fusedModes) {
      setFused(fused);
      const step = await loraStep(m, q);
      Object.assign(out[fused ? 'fused' : 'unfused'] as object, { lora_step_ms: step.ms, loss: step.loss, trainable: step.trainable });
      process.stderr.write(`tfjs ${name} fused=${fused}: LoRA step ${step.ms.toFixed(1)} ms (loss ${step.loss.toFixed(3)})\n`);
    }
    setFused(undefined);
    m.dispose();
    for (const t of Object.values(m.trainable)) t.dispose();
    return out;
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}

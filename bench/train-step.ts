// One training step as every bench times it: forward, masked cross-entropy over every position, backward, AdamW
// at lr 1e-4 with global-norm clip 1, the loss read back as the trainer does. The Python references
// (cpu_torch.py, gpu_torch.py, gpu_torch_qwen.py) take the same step with the same settings.

import * as tf from '@tensorflow/tfjs';
import { maskedCrossEntropy, sftLoss } from '../src/train/losses.js';
import type { CausalLM } from '../src/model/causal-lm.js';
import type { AdamW, AdamWConfig } from '../src/train/optim.js';

/** What the records say one step is. */
export const TRAINING_STEP = 'forward, masked cross-entropy, backward, AdamW at lr 1e-4 with global-norm clip 1, the loss read back';

/** Full training of our GPT (nanoGPT's settings). */
export const GPT_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1, grad_clip: 1 };
/** LoRA SFT of a Hugging Face model (PEFT's defaults, no decay). */
export const LORA_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, grad_clip: 1 };

export interface Batch {
  ids: tf.Tensor2D; // [B, T]
  targets: tf.Tensor1D; // [B·T]
  mask: tf.Tensor1D; // [B·T], all ones
}

/** Uniform random ids and targets (seeds 1 and 2), every position counted. */
export function randomBatch(B: number, T: number, V: number): Batch {
  return {
    ids: tf.randomUniform([B, T], 0, V, 'int32', 1) as tf.Tensor2D,
    targets: tf.randomUniform([B * T], 0, V, 'int32', 2) as tf.Tensor1D,
    mask: tf.ones([B * T]) as tf.Tensor1D,
  };
}

/**
 * A step on `logits(ids)` [B·T, V], or on a model's SFT loss as trainSft takes it (sftLoss: a Hugging Face model's
 * over the vocabulary in chunks of rows), that resolves to its loss; `vars`: what trains (LoRA's factors), default
 * every variable.
 */
export function trainingStep(model: ((ids: tf.Tensor2D) => tf.Tensor2D) | CausalLM, batch: Batch, opt: AdamW, vars?: tf.Variable[]): () => Promise<number> {
  const lossOf = typeof model === 'function' ? () => maskedCrossEntropy(model(batch.ids), batch.targets, batch.mask) : () => sftLoss(model, batch.ids, batch.targets, batch.mask, 1);
  return async () => {
    const { value, grads } = tf.variableGrads(lossOf, vars);
    await opt.apply(grads, 1e-4);
    const loss = (await value.data())[0];
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  };
}

/** ms per step over `steps` timed steps, after `warmup` untimed ones. */
export async function msPerStep(step: () => Promise<unknown>, warmup: number, steps: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  return (performance.now() - t0) / steps;
}

export const disposeBatch = (b: Batch) => tf.dispose([b.ids, b.targets, b.mask]);

// What a recipe's model needs in memory, estimated before any stage runs, against what its backend can hold.
// A GPT with tied embeddings: P = V·d + T·d + L·(12d² + 13d) + 2d parameters. Training keeps weights, gradients
// and two Adam moments (16 bytes a parameter) plus the activations of a batch, which tfjs keeps for the backward
// pass: per token and layer about 18·d floats (LN, QKV, attention output, MLP) and 2·H·T attention scores, and the
// logits (and their softmax and gradient) per token. Sampling keeps a KV cache: 2·L·T·d floats a sequence.
// An estimate for refusing what cannot fit, not a measurement: the real peak is higher.

import { totalmem } from 'node:os';
import type { Recipe } from '../config/recipe.js';

type GptShape = Extract<Recipe['model'], { d_model: number }>;
import type { SchemaIssue } from '../config/yaml.js';

/** One wasm instance's heap (tfjs-backend-wasm 4.22: getHeapMax() = 4294901760). */
export const WASM_HEAP_BYTES = 4294901760;
const GiB = 2 ** 30;
const F32 = 4;

export function backendCapacity(backend: Recipe['backend']): { bytes: number; what: string } {
  return backend === 'wasm' || backend === 'blas' ? { bytes: WASM_HEAP_BYTES, what: 'the wasm heap holds 4 GiB' } : { bytes: totalmem(), what: `this machine has ${(totalmem() / GiB).toFixed(1)} GiB` };
}

export function parameterCount(m: GptShape, vocab: number): number {
  const { d_model: d, n_layer: L, context_length: T } = m;
  return vocab * d + T * d + L * (12 * d * d + 13 * d) + 2 * d;
}

function activations(m: GptShape, vocab: number, rows: number): number {
  const { d_model: d, n_layer: L, n_head: H, context_length: T } = m;
  return F32 * rows * T * (L * (18 * d + 2 * H * T) + 3 * vocab);
}

const kvCache = (m: GptShape, rows: number) => F32 * rows * 2 * m.n_layer * m.context_length * m.d_model;
const gib = (b: number) => `${(b / GiB).toFixed(1)} GiB`;
function count(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} billion` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} million` : String(n);
}

/** Each stage whose estimate exceeds the backend, as an issue on the key to change (the batch, or the model). */
export function memoryIssues(r: Recipe, vocab: number): SchemaIssue[] {
  if (!('d_model' in r.model)) return [];
  const m = r.model;
  const cap = backendCapacity(r.backend);
  const P = parameterCount(m, vocab);
  const train = 16 * P;
  const { sft, grpo } = r;
  const grpoRows = grpo ? Math.min(grpo.micro_batch_size, grpo.prompts_per_step * grpo.group_size) : 0;
  const stages = [
    ...(sft ? [{ name: 'SFT', fixed: train, fixedWhat: `weights, gradients and 2 Adam moments of ${count(P)} parameters`, batch: activations(m, vocab, sft.batch_size), batchWhat: `activations of a batch of ${sft.batch_size} × ${m.context_length} tokens`, key: ['sft', 'batch_size'] }] : []),
    ...(grpo
      ? [
          {
            name: 'GRPO',
            fixed: train + (grpo.beta > 0 ? F32 * P : 0),
            fixedWhat: `weights, gradients and 2 Adam moments of ${count(P)} parameters${grpo.beta > 0 ? ', and the reference model' : ''}`,
            batch: activations(m, vocab, grpoRows) + kvCache(m, grpo.prompts_per_step * grpo.group_size),
            batchWhat: `activations of ${grpoRows} rows and the KV cache of ${grpo.prompts_per_step * grpo.group_size} sequences`,
            key: ['grpo', 'micro_batch_size'],
          },
        ]
      : []),
    { name: 'eval', fixed: F32 * P, fixedWhat: `weights of ${count(P)} parameters`, batch: kvCache(m, r.eval.batch_size) + F32 * r.eval.batch_size * vocab, batchWhat: `the KV cache of ${r.eval.batch_size} sequences`, key: ['eval', 'batch_size'] },
  ];
  for (const s of stages) {
    if (s.fixed + s.batch <= cap.bytes) continue;
    const key = s.fixed > cap.bytes ? ['model', 'd_model'] : s.key;
    return [
      {
        path: key,
        message: `${s.name} needs about ${gib(s.fixed + s.batch)} (${s.fixedWhat}: ${gib(s.fixed)}; ${s.batchWhat}: ${gib(s.batch)}) but ${cap.what}; make the model or ${s.key.join('.')} smaller`,
      },
    ];
  }
  return [];
}

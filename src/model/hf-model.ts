// A Hugging Face checkpoint directory as a CausalLM: config.json through the registry, weights from one or
// several safetensors files (F32, BF16, F16 → float32) checked against the config before any data is read,
// generation_config.json for eos ids and sampling defaults.

import * as tf from '@tensorflow/tfjs';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { readJson } from '../util/fs.js';
import { initBackend, type BackendName } from './backend.js';
import { parseDecoderConfig, readGenerationConfig, type DecoderConfig, type GenerationDefaults } from './hf-config.js';
import { decoderHidden, decoderLogits, decoderTensors, headOf, LINEAR_NAMES, type DecoderInput, type DecoderLayer, type DecoderWeights, type Linear } from './decoder.js';
import { assertFits, forwardParts, LOGPROB_LOGIT_COPIES, prefillChunk, SCORE_CHUNK_COPIES, trainStepParts } from './hf-memory.js';
import { chunkedTargetLogprobs, lossChunkRows, type TokenScores } from './vocab-loss.js';
import { checkTensors, linearKey, linearShapes, locateTensors } from './hf-weights.js';
import { readTensors } from './safetensors.js';
import { causalBias } from './gpt.js';
import { rangePositions, type CausalLM, type LmInfo, type ScoreOptions, type StepInput } from './causal-lm.js';
import type { Params } from './gpt.js';
import type { LoraSettings } from './lora.js';

export class HfModel implements CausalLM {
  readonly config: LmInfo & { decoder: DecoderConfig };
  readonly trainable: Params = {};
  /** The LoRA adapters attached (lora.ts), with the module paths they sit on. */
  lora?: LoraSettings & { targets: string[] };
  /** Dropout's counter when a training call names no seed; the decoder advances it in place. */
  private readonly trainCtx = { seed: 0 };

  constructor(
    readonly dir: string,
    readonly decoder: DecoderConfig,
    readonly weights: DecoderWeights,
    readonly generation: GenerationDefaults,
    /** config.json as read, kept so a save writes back every key we do not interpret. */
    readonly rawConfig: Record<string, unknown>,
  ) {
    const eos = generation.eos_token_ids ?? decoder.eos_token_ids;
    this.config = { arch: decoder.arch, vocab_size: decoder.vocab_size, max_context: Infinity, eos_token_ids: eos, decoder };
  }

  step(x: StepInput): tf.Tensor2D {
    return stepChunked(this.weights, this.decoder, x, this.lora?.r);
  }

  forward(ids: tf.Tensor2D, opts: { train?: boolean; seed?: number } = {}): tf.Tensor2D {
    const [B, T] = ids.shape;
    if (opts.train) assertFits(`a training step on ${B} × ${T} tokens`, trainStepParts(this.decoder, B, T, { rank: this.lora?.r ?? 0, params: trainableCount(this.trainable) }), LOWER_TRAIN);
    else assertFits(`a forward pass on ${B} × ${T} tokens`, forwardParts(this.decoder, B, T, { logitCopies: LOGPROB_LOGIT_COPIES, loraRank: this.lora?.r }), LOWER_TRAIN);
    return decoderLogits(this.weights, this.decoder, this.input(ids, opts));
  }

  /** log p(target) per position, the loss over the vocabulary in chunks of `rows` rows (vocab-loss.ts). */
  targetLogprobs(ids: tf.Tensor2D, targets: tf.Tensor1D, opts: ScoreOptions & { rows?: number } = {}): TokenScores {
    return this.scores(ids, targets, opts, true);
  }

  /** targetLogprobs with the adapters on, or off (the base model: no dropout, no training step). */
  private scores(ids: tf.Tensor2D, targets: tf.Tensor1D, opts: ScoreOptions & { rows?: number }, adapters: boolean): TokenScores {
    const [B, T] = ids.shape;
    const rows = Math.min(B * T, opts.rows ?? lossChunkRows(this.decoder.vocab_size));
    if (opts.train) assertFits(`a training step on ${B} × ${T} tokens`, trainStepParts(this.decoder, B, T, { rank: this.lora?.r ?? 0, params: trainableCount(this.trainable), lossRows: rows }), LOWER_TRAIN);
    else assertFits(`log-probabilities of ${adapters ? '' : 'the base model on '}${B} × ${T} tokens`, forwardParts(this.decoder, B, T, { logitRows: rows, logitCopies: SCORE_CHUNK_COPIES, loraRank: adapters ? this.lora?.r : undefined }), adapters ? LOWER_TRAIN : LOWER_REF);
    const h = decoderHidden(this.weights, this.decoder, adapters ? this.input(ids, opts) : { ...this.input(ids, {}), noAdapters: true });
    return chunkedTargetLogprobs(h, headOf(this.weights), targets, { temperature: opts.temperature, entropy: opts.entropy, rows });
  }

  /** log p(target) per position [B*T] of sequences [B, T] and their next tokens [B*T]. */
  logProbs(ids: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
    return tf.tidy(() => this.targetLogprobs(ids, targets).logp);
  }

  /** A training batch's decoder input; train draws dropout masks from seed, or from a counter the model keeps. */
  private input(ids: tf.Tensor2D, opts: { train?: boolean; seed?: number }): DecoderInput {
    const [B, T] = ids.shape;
    const train = opts.train ? (opts.seed === undefined ? this.trainCtx : { seed: opts.seed }) : undefined;
    return { ids, positions: rangePositions(B, T), bias: causalBias(T), train };
  }

  /** The same model with its LoRA adapters off (the reference policy of a LoRA run; shares every tensor). */
  base(): CausalLM {
    return {
      config: this.config,
      trainable: {},
      step: (x) => stepChunked(this.weights, this.decoder, { ...x, noAdapters: true }),
      forward: (ids) => {
        const [B, T] = ids.shape;
        assertFits(`a forward pass of the base model on ${B} × ${T} tokens`, forwardParts(this.decoder, B, T, { logitCopies: LOGPROB_LOGIT_COPIES }), LOWER_REF);
        return decoderLogits(this.weights, this.decoder, { ...this.input(ids, {}), noAdapters: true });
      },
      targetLogprobs: (ids, targets, opts = {}) => this.scores(ids, targets, { temperature: opts.temperature, entropy: opts.entropy }, false),
      dispose: () => undefined,
    };
  }

  dispose(): void {
    for (const t of decoderTensors(this.weights)) t.dispose();
  }
}

const LOWER_TRAIN = 'lower the batch size (sft.batch_size, grpo.micro_batch_size) or the sequence length';
const LOWER_REF = 'lower grpo.micro_batch_size or the sequence length';
const trainableCount = (p: Params) => Object.values(p).reduce((a, v) => a + v.size, 0);

/**
 * A sampling step: the memory it needs is checked first, and a long prefill that only wants the last position's
 * logits runs in chunks of positions along a KV cache (a temporary one when the caller keeps none), so its
 * attention scores and activations stay within PREFILL_BUDGET_BYTES whatever the prompt's length.
 */
export function stepChunked(w: DecoderWeights, c: DecoderConfig, x: DecoderInput, loraRank?: number, budget?: number): tf.Tensor2D {
  const [B, T] = x.ids.shape;
  const Tk = x.bias.shape[3];
  const cached = Tk - T;
  const tc = x.lastOnly ? prefillChunk(c, B, T, Tk, loraRank, budget) : T;
  const lower = 'lower the number of rows sampled at once (eval.batch_size, grpo.prompts_per_step × group_size, --batch-size) or the prompt and completion lengths';
  if (tc >= T) {
    assertFits(`sampling ${B} rows (${T} new positions after ${cached})`, forwardParts(c, B, T, { cached, lastOnly: x.lastOnly, loraRank }), lower);
    return decoderLogits(w, c, x);
  }
  const cache = x.cache ?? { k: [], v: [] };
  let out: tf.Tensor2D | undefined;
  try {
    for (let t0 = 0; t0 < T; t0 += tc) {
      const n = Math.min(tc, T - t0);
      assertFits(`a prefill chunk of ${B} rows × ${n} positions after ${cached + t0}`, forwardParts(c, B, n, { cached: cached + t0, lastOnly: true, loraRank }), lower);
      const positions = new Int32Array(B * n);
      for (let b = 0; b < B; b++) positions.set(x.positions.subarray(b * T + t0, b * T + t0 + n), b * n);
      out?.dispose();
      out = tf.tidy(() =>
        decoderLogits(w, c, { ...x, ids: x.ids.slice([0, t0], [B, n]), positions, bias: x.bias.slice([0, 0, t0, 0], [x.bias.shape[0], 1, n, cached + t0 + n]), cache, lastOnly: true }),
      );
    }
    return out!;
  } finally {
    if (!x.cache) for (const t of [...cache.k, ...cache.v]) t.dispose();
  }
}

function need(dir: string, name: string): string {
  const file = join(dir, name);
  if (!existsSync(file)) throw new InputError(`${name} is missing`, { file: dir, hint: `a Hugging Face checkpoint directory holds ${name} (save_pretrained writes it)` });
  return file;
}

export function isHfDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'config.json'));
}

/** Reads and checks config.json of a directory (no weights). */
export function readDecoderConfig(dir: string): { decoder: DecoderConfig; raw: Record<string, unknown>; file: string } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError('not a directory', { file: dir, hint: 'name a Hugging Face checkpoint directory (config.json, model.safetensors, tokenizer.json)' });
  const file = need(dir, 'config.json');
  const raw = readJson<Record<string, unknown>>(file);
  return { decoder: parseDecoderConfig(raw, file), raw, file };
}

export interface LoadOptions {
  backend?: BackendName;
}

export async function loadHfModel(dir: string, opts: LoadOptions = {}): Promise<HfModel> {
  const backend = opts.backend ?? 'wasm';
  const { decoder: c, raw, file } = readDecoderConfig(dir);
  const where = locateTensors(dir);
  checkTensors(c, where, file, backend);
  await initBackend(backend);
  const held: tf.Tensor[] = [];
  try {
    const load = (name: string): tf.Tensor => {
      const h = where.get(name)!;
      const t = readTensors(h, [name])[name];
      const out = tf.tensor(t.data, t.shape);
      held.push(out);
      return out;
    };
    const shapes = linearShapes(c);
    const layers: DecoderLayer[] = [];
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const lin = {} as Record<(typeof LINEAR_NAMES)[number], Linear>;
      for (const n of LINEAR_NAMES) {
        const key = linearKey(l, n, shapes[n].module);
        lin[n] = { w: load(`${key}.weight`) as tf.Tensor2D, bias: shapes[n].bias ? (load(`${key}.bias`) as tf.Tensor1D) : undefined };
      }
      const p = `model.layers.${l}`;
      layers.push({
        ...lin,
        input_layernorm: load(`${p}.input_layernorm.weight`) as tf.Tensor1D,
        post_attention_layernorm: load(`${p}.post_attention_layernorm.weight`) as tf.Tensor1D,
        q_norm: c.qk_norm ? (load(`${p}.self_attn.q_norm.weight`) as tf.Tensor1D) : undefined,
        k_norm: c.qk_norm ? (load(`${p}.self_attn.k_norm.weight`) as tf.Tensor1D) : undefined,
      });
    }
    const norm = load('model.norm.weight') as tf.Tensor1D;
    const embed = load('model.embed_tokens.weight') as tf.Tensor2D;
    const head = c.tie_word_embeddings ? undefined : (load('lm_head.weight') as tf.Tensor2D);
    return new HfModel(dir, c, { embed, head, norm, layers }, readGenerationConfig(dir), raw);
  } catch (e) {
    for (const t of held) if (!t.isDisposed) t.dispose();
    throw e;
  }
}

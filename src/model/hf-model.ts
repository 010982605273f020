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
import { decoderLogits, decoderTensors, LINEAR_NAMES, type DecoderLayer, type DecoderWeights, type Linear } from './decoder.js';
import { checkTensors, linearKey, linearShapes, locateTensors } from './hf-weights.js';
import { readTensors } from './safetensors.js';
import { causalBias } from './gpt.js';
import { logProbs, rangePositions, type CausalLM, type LmInfo, type StepInput } from './causal-lm.js';
import type { Params } from './gpt.js';
import type { LoraSettings } from './lora.js';

export class HfModel implements CausalLM {
  readonly config: LmInfo & { decoder: DecoderConfig };
  readonly trainable: Params = {};
  /** The LoRA adapters attached (lora.ts), with the module paths they sit on. */
  lora?: LoraSettings & { targets: string[] };
  private trainSeed = 0;

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
    return decoderLogits(this.weights, this.decoder, x);
  }

  forward(ids: tf.Tensor2D, opts: { train?: boolean; seed?: number } = {}): tf.Tensor2D {
    const [B, T] = ids.shape;
    const train = opts.train ? { seed: opts.seed ?? this.trainSeed } : undefined;
    const out = decoderLogits(this.weights, this.decoder, { ids, positions: rangePositions(B, T), bias: causalBias(T), train });
    if (train && opts.seed === undefined) this.trainSeed = train.seed;
    return out;
  }

  /** log p(target) per position [B*T] of sequences [B, T] and their next tokens [B*T]. */
  logProbs(ids: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
    return logProbs(this, ids, targets);
  }

  /** The same model with its LoRA adapters off (the reference policy of a LoRA run; shares every tensor). */
  base(): CausalLM {
    return {
      config: this.config,
      trainable: {},
      step: (x) => decoderLogits(this.weights, this.decoder, { ...x, noAdapters: true }),
      forward: (ids) => {
        const [B, T] = ids.shape;
        return decoderLogits(this.weights, this.decoder, { ids, positions: rangePositions(B, T), bias: causalBias(T), noAdapters: true });
      },
      dispose: () => undefined,
    };
  }

  dispose(): void {
    for (const t of decoderTensors(this.weights)) t.dispose();
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
    const transposed = (name: string): tf.Tensor2D => {
      const w = load(name);
      const wT = tf.transpose(w) as tf.Tensor2D;
      w.dispose();
      held.push(wT);
      return wT;
    };
    const shapes = linearShapes(c);
    const layers: DecoderLayer[] = [];
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const lin = {} as Record<(typeof LINEAR_NAMES)[number], Linear>;
      for (const n of LINEAR_NAMES) {
        const key = linearKey(l, n, shapes[n].module);
        lin[n] = { wT: transposed(`${key}.weight`), bias: shapes[n].bias ? (load(`${key}.bias`) as tf.Tensor1D) : undefined };
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
    let embed: tf.Tensor2D | undefined;
    let headT: tf.Tensor2D;
    if (c.tie_word_embeddings) headT = transposed('model.embed_tokens.weight');
    else {
      embed = load('model.embed_tokens.weight') as tf.Tensor2D;
      headT = transposed('lm_head.weight');
    }
    return new HfModel(dir, c, { embed, headT, norm, layers }, readGenerationConfig(dir), raw);
  } catch (e) {
    for (const t of held) if (!t.isDisposed) t.dispose();
    throw e;
  }
}

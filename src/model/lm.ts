// A local language model: config, parameters and tokenizer together, saved to and loaded from safetensors.

import * as tf from '@tensorflow/tfjs';
import { CharTokenizer, type TokenizerSpec } from './tokenizer.js';
import { forward, head, hidden, initParams, variableFrom, type GptConfig, type Params } from './gpt.js';
import type { CausalLM } from './causal-lm.js';
import { loadSafetensors, saveSafetensors } from './checkpoint.js';
import { InputError } from '../util/errors.js';

export interface LocalModel {
  cfg: GptConfig;
  params: Params;
  tokenizer: CharTokenizer;
}

export function createModel(cfg: Omit<GptConfig, 'vocab_size'>, tokenizer: TokenizerSpec, seed: number): LocalModel {
  const tok = new CharTokenizer(tokenizer);
  const full: GptConfig = { ...cfg, vocab_size: tok.size };
  if (full.d_model % full.n_head !== 0) throw new InputError(`d_model ${full.d_model} is not divisible by n_head ${full.n_head}`, { field: 'model.n_head' });
  return { cfg: full, params: initParams(full, seed), tokenizer: tok };
}

/** Saves parameters (and optional extra tensors such as optimizer moments under "opt/") with metadata; returns the file's sha256. */
export async function saveModel(path: string, m: LocalModel, meta: Record<string, unknown> = {}, extra: Record<string, tf.Tensor> = {}): Promise<string> {
  const tensors: Record<string, tf.Tensor> = { ...m.params };
  for (const [k, t] of Object.entries(extra)) tensors[`opt/${k}`] = t;
  return saveSafetensors(path, tensors, {
    format: 'reprise-gpt',
    config: JSON.stringify(m.cfg),
    tokenizer: JSON.stringify(m.tokenizer.spec),
    state: JSON.stringify(meta),
  });
}

export interface LoadedModel {
  model: LocalModel;
  state: Record<string, unknown>;
  extra: Record<string, tf.Tensor>;
  sha256: string;
}

export function loadModel(path: string): LoadedModel {
  const f = loadSafetensors(path);
  if (f.metadata.format !== 'reprise-gpt') throw new InputError('not a Reprise checkpoint (metadata.format is not "reprise-gpt")', { file: path });
  const cfg = JSON.parse(f.metadata.config) as GptConfig;
  const tokenizer = new CharTokenizer(JSON.parse(f.metadata.tokenizer) as TokenizerSpec);
  const params: Params = {};
  const extra: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(f.tensors)) {
    if (k.startsWith('opt/')) extra[k.slice(4)] = tf.tensor(t.data, t.shape);
    else params[k] = variableFrom(tf.tensor(t.data, t.shape));
  }
  return { model: { cfg, params, tokenizer }, state: JSON.parse(f.metadata.state ?? '{}'), extra, sha256: f.sha256 };
}

export function disposeModel(m: LocalModel): void {
  for (const v of Object.values(m.params)) v.dispose();
}

/** Our GPT as a CausalLM: the same tfjs ops as gpt.ts's forward and the sampler always used (bit-identical). */
export function gptLM(m: Pick<LocalModel, 'cfg' | 'params'>, eos: number[] = []): CausalLM {
  const { cfg, params: p } = m;
  return {
    config: { arch: 'gpt', vocab_size: cfg.vocab_size, max_context: cfg.context_length, eos_token_ids: eos },
    trainable: p,
    forward: (ids) => forward(p, cfg, ids),
    step: (x) => {
      const [B, T] = x.ids.shape;
      const h = hidden(p, cfg, x.ids, tf.tensor2d(x.positions, [B, T], 'int32'), x.bias, x.cache);
      if (!x.lastOnly || T === 1) return head(p, h);
      return head(p, h.reshape([B, T, cfg.d_model]).slice([0, T - 1, 0], [B, 1, cfg.d_model]).reshape([B, cfg.d_model]) as tf.Tensor2D);
    },
    dispose: () => disposeModel(m as LocalModel),
  };
}

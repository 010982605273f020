// Saves a Hugging Face model in the layout save_pretrained writes (config.json, model.safetensors in float32,
// generation_config.json, the tokenizer files of the source directory), so transformers and vLLM load it.
// LoRA adapters, when attached, are folded into the saved weights (the model in memory keeps them).

import * as tf from '@tensorflow/tfjs';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { encodeSafetensors, type TensorData } from './safetensors.js';
import { LINEAR_NAMES, type Linear } from './decoder.js';
import { linearKey, linearShapes } from './hf-weights.js';
import { mm } from './gpt.js';
import type { HfModel } from './hf-model.js';

export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja', 'chat_template.json', 'vocab.json', 'merges.txt', 'tokenizer.model', 'added_tokens.json'];

async function plain(t: tf.Tensor): Promise<TensorData> {
  return { shape: t.shape, data: (await t.data()) as Float32Array };
}

/** [out, in] weight of a linear layer, with its LoRA update added. */
async function linearWeight(l: Linear): Promise<TensorData> {
  const w = l.lora ? tf.tidy(() => l.w.add(tf.transpose(mm(l.lora!.a, l.lora!.b)).mul(l.lora!.scale))) : l.w;
  const out = await plain(w);
  if (w !== l.w) w.dispose();
  return out;
}

export async function saveHfModel(m: HfModel, dir: string, opts: { tokenizerFrom?: string } = {}): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const c = m.decoder;
  const t: Record<string, TensorData> = {};
  const shapes = linearShapes(c);
  for (const [l, L] of m.weights.layers.entries()) {
    for (const n of LINEAR_NAMES) {
      const key = linearKey(l, n, shapes[n].module);
      t[`${key}.weight`] = await linearWeight(L[n]);
      if (L[n].bias) t[`${key}.bias`] = await plain(L[n].bias!);
    }
    t[`model.layers.${l}.input_layernorm.weight`] = await plain(L.input_layernorm);
    t[`model.layers.${l}.post_attention_layernorm.weight`] = await plain(L.post_attention_layernorm);
    if (L.q_norm) t[`model.layers.${l}.self_attn.q_norm.weight`] = await plain(L.q_norm);
    if (L.k_norm) t[`model.layers.${l}.self_attn.k_norm.weight`] = await plain(L.k_norm);
  }
  t['model.norm.weight'] = await plain(m.weights.norm);
  t['model.embed_tokens.weight'] = await plain(m.weights.embed);
  if (m.weights.head) t['lm_head.weight'] = await plain(m.weights.head);
  writeFileAtomic(join(dir, 'model.safetensors'), encodeSafetensors(t, { format: 'pt' }));
  writeJsonAtomic(join(dir, 'config.json'), { ...m.rawConfig, dtype: 'float32', torch_dtype: 'float32' });
  const src = opts.tokenizerFrom ?? m.dir;
  if (resolve(src) === resolve(dir)) return;
  if (existsSync(join(src, 'generation_config.json'))) copyFileSync(join(src, 'generation_config.json'), join(dir, 'generation_config.json'));
  else writeJsonAtomic(join(dir, 'generation_config.json'), { eos_token_id: m.config.eos_token_ids, bos_token_id: c.bos_token_id });
  for (const f of TOKENIZER_FILES) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dir, f));
}

// The tensors a decoder config implies (names as transformers saves them, shapes from config.json), found in a
// single model.safetensors or in shards listed by model.safetensors.index.json, checked before any data is read.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { readJson } from '../util/fs.js';
import type { DecoderConfig } from './hf-config.js';
import { LINEAR_NAMES, type LinearName } from './decoder.js';
import { readHeader, type SafetensorsHeader } from './safetensors.js';

export const WASM_HEAP_BYTES = 4294901760;

/** [out, in] of each linear layer and whether it has a bias. */
export function linearShapes(c: DecoderConfig): Record<LinearName, { shape: [number, number]; bias: boolean; module: 'self_attn' | 'mlp' }> {
  const { hidden_size: d, intermediate_size: I, num_attention_heads: H, num_key_value_heads: Hkv, head_dim: hd } = c;
  return {
    q_proj: { shape: [H * hd, d], bias: c.qkv_bias, module: 'self_attn' },
    k_proj: { shape: [Hkv * hd, d], bias: c.qkv_bias, module: 'self_attn' },
    v_proj: { shape: [Hkv * hd, d], bias: c.qkv_bias, module: 'self_attn' },
    o_proj: { shape: [d, H * hd], bias: c.o_bias, module: 'self_attn' },
    gate_proj: { shape: [I, d], bias: c.mlp_bias, module: 'mlp' },
    up_proj: { shape: [I, d], bias: c.mlp_bias, module: 'mlp' },
    down_proj: { shape: [d, I], bias: c.mlp_bias, module: 'mlp' },
  };
}

export const linearKey = (l: number, n: LinearName, module: string) => `model.layers.${l}.${module}.${n}`;

/** Every tensor name the config implies, with its shape. */
export function expectedTensors(c: DecoderConfig): Map<string, number[]> {
  const { hidden_size: d, vocab_size: V, head_dim: hd } = c;
  const m = new Map<string, number[]>([
    ['model.embed_tokens.weight', [V, d]],
    ['model.norm.weight', [d]],
  ]);
  if (!c.tie_word_embeddings) m.set('lm_head.weight', [V, d]);
  const lin = linearShapes(c);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    m.set(`model.layers.${l}.input_layernorm.weight`, [d]);
    m.set(`model.layers.${l}.post_attention_layernorm.weight`, [d]);
    if (c.qk_norm) {
      m.set(`model.layers.${l}.self_attn.q_norm.weight`, [hd]);
      m.set(`model.layers.${l}.self_attn.k_norm.weight`, [hd]);
    }
    for (const n of LINEAR_NAMES) {
      const s = lin[n];
      m.set(`${linearKey(l, n, s.module)}.weight`, s.shape);
      if (s.bias) m.set(`${linearKey(l, n, s.module)}.bias`, [s.shape[0]]);
    }
  }
  return m;
}

/** Which header holds each tensor, from the index of a sharded checkpoint or the single file. */
export function locateTensors(dir: string): Map<string, SafetensorsHeader> {
  const index = join(dir, 'model.safetensors.index.json');
  const single = join(dir, 'model.safetensors');
  const out = new Map<string, SafetensorsHeader>();
  if (existsSync(index)) {
    const map = readJson<{ weight_map?: Record<string, string> }>(index).weight_map;
    if (!map || typeof map !== 'object') throw new InputError('has no weight_map', { file: index, field: 'weight_map' });
    const headers = new Map<string, SafetensorsHeader>();
    for (const [name, shard] of Object.entries(map)) {
      let h = headers.get(shard);
      if (!h) {
        const file = join(dir, shard);
        if (!existsSync(file)) throw new InputError(`shard ${shard} (listed for ${name}) is missing`, { file: index, hint: `expected the file ${file}` });
        h = readHeader(file);
        headers.set(shard, h);
      }
      if (!h.tensors[name]) throw new InputError(`tensor ${name} is listed in model.safetensors.index.json but is not in the shard`, { file: h.file });
      out.set(name, h);
    }
    return out;
  }
  if (!existsSync(single)) throw new InputError('no weights: neither model.safetensors nor model.safetensors.index.json is in the directory', { file: dir, hint: 'a Hugging Face checkpoint saved with save_pretrained(..., safe_serialization=True) has one of them' });
  const h = readHeader(single);
  for (const name of Object.keys(h.tensors)) out.set(name, h);
  return out;
}

const IGNORED = /\.rotary_emb\.inv_freq$/;

/** Checks presence and shapes against the config, and the float32 size against the wasm heap; returns the bytes. */
export function checkTensors(c: DecoderConfig, where: Map<string, SafetensorsHeader>, configFile: string, backend: string): number {
  const expected = expectedTensors(c);
  const dims = `hidden_size ${c.hidden_size}, intermediate_size ${c.intermediate_size}, heads ${c.num_attention_heads}/${c.num_key_value_heads}, head_dim ${c.head_dim}, vocab_size ${c.vocab_size}`;
  let bytes = 0;
  for (const [name, shape] of expected) {
    const h = where.get(name);
    if (!h) {
      const why = name === 'lm_head.weight' ? ' (config.json says tie_word_embeddings: false)' : '';
      throw new InputError(`tensor ${name} is missing${why}`, { file: where.values().next().value?.file ?? configFile, hint: `${configFile} describes a ${c.arch} model with ${c.num_hidden_layers} layers; the weights do not match it` });
    }
    const got = h.tensors[name].shape;
    if (got.length !== shape.length || got.some((x, i) => x !== shape[i])) {
      throw new InputError(`tensor ${name} has shape [${got.join(', ')}] but config.json implies [${shape.join(', ')}] (${dims})`, { file: h.file, hint: `check ${configFile} against the weights` });
    }
    bytes += shape.reduce((a, b) => a * b, 1) * 4;
  }
  for (const [name, h] of where) {
    if (expected.has(name) || IGNORED.test(name) || (name === 'lm_head.weight' && c.tie_word_embeddings)) continue;
    throw new InputError(`tensor ${name} is not part of a ${c.arch} model as config.json describes it`, { file: h.file, hint: `check model_type and the layer count in ${configFile}` });
  }
  if (backend === 'wasm' && bytes > WASM_HEAP_BYTES) {
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
    throw new InputError(`the model needs ${gib(bytes)} as float32 weights; the wasm heap holds at most ${gib(WASM_HEAP_BYTES)}`, { file: configFile, hint: 'use a smaller model, or the cpu backend (slower, no heap cap)' });
  }
  return bytes;
}

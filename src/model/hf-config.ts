// config.json and generation_config.json of a Hugging Face checkpoint, read into one architecture config: the
// registry of decoder architectures (llama, qwen2, qwen3), their defaults, and RoPE parameters in either the
// older `rope_theta` + `rope_scaling` keys or transformers 5's `rope_parameters`.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { readJson } from '../util/fs.js';
import { ROPE_TYPES, type RopeSpec, type RopeType } from './rope.js';

export interface DecoderConfig {
  arch: HfArch;
  model_type: string;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  rms_norm_eps: number;
  max_position_embeddings: number;
  tie_word_embeddings: boolean;
  /** Biases on q, k, v (qwen2 always; llama and qwen3 with attention_bias) and on o (attention_bias only). */
  qkv_bias: boolean;
  o_bias: boolean;
  mlp_bias: boolean;
  /** RMSNorm of q and k per head before RoPE (qwen3). */
  qk_norm: boolean;
  rope: RopeSpec;
  bos_token_id?: number;
  eos_token_ids: number[];
  pad_token_id?: number;
}

/** The architectures of the registry: model_type and the class names transformers writes in `architectures`. */
export const HF_ARCHS = {
  llama: { classes: ['LlamaForCausalLM'], qkvBias: (c: RawConfig) => c.attention_bias ?? false, qkNorm: false, headDim: undefined },
  qwen2: { classes: ['Qwen2ForCausalLM'], qkvBias: () => true, qkNorm: false, headDim: undefined },
  qwen3: { classes: ['Qwen3ForCausalLM'], qkvBias: (c: RawConfig) => c.attention_bias ?? false, qkNorm: true, headDim: 128 },
} as const;
export type HfArch = keyof typeof HF_ARCHS;
/** Every architecture Reprise runs, ours included. */
export const ARCHITECTURES = ['gpt', ...Object.keys(HF_ARCHS)] as const;

const int = z.number().int().positive();
const ids = z.union([z.number().int(), z.array(z.number().int())]).nullish();
const RopeDict = z.record(z.string(), z.unknown());

const RawConfig = z.looseObject({
  model_type: z.string().optional(),
  architectures: z.array(z.string()).nullish(),
  vocab_size: int,
  hidden_size: int,
  intermediate_size: int,
  num_hidden_layers: int,
  num_attention_heads: int,
  num_key_value_heads: int.nullish(),
  head_dim: int.nullish(),
  rms_norm_eps: z.number().positive().optional(),
  max_position_embeddings: int.optional(),
  original_max_position_embeddings: int.optional(),
  tie_word_embeddings: z.boolean().optional(),
  attention_bias: z.boolean().optional(),
  mlp_bias: z.boolean().optional(),
  hidden_act: z.string().optional(),
  rope_theta: z.number().positive().nullish(),
  partial_rotary_factor: z.number().nullish(),
  rope_scaling: RopeDict.nullish(),
  rope_parameters: RopeDict.nullish(),
  use_sliding_window: z.boolean().optional(),
  bos_token_id: ids,
  eos_token_id: ids,
  pad_token_id: ids,
});
type RawConfig = z.infer<typeof RawConfig>;

const asIds = (v: number | number[] | null | undefined): number[] => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Which registry entry a config.json names (model_type first, then the `architectures` class names). */
export function archOf(raw: { model_type?: string; architectures?: string[] | null }, file: string): HfArch {
  if (raw.model_type && raw.model_type in HF_ARCHS) return raw.model_type as HfArch;
  for (const [name, a] of Object.entries(HF_ARCHS)) if (raw.architectures?.some((c) => (a.classes as readonly string[]).includes(c))) return name as HfArch;
  const named = [raw.model_type && `model_type "${raw.model_type}"`, raw.architectures?.length && `architectures ${JSON.stringify(raw.architectures)}`].filter(Boolean).join(', ') || 'no model_type';
  throw new InputError(`unsupported architecture (${named})`, {
    file,
    field: 'model_type',
    hint: `Reprise runs these architectures: ${ARCHITECTURES.join(', ')} (model_type ${Object.keys(HF_ARCHS).join(', ')}; classes ${Object.values(HF_ARCHS).flatMap((a) => a.classes).join(', ')})`,
  });
}

function ropeSpec(c: RawConfig, headDim: number, maxPos: number, file: string): RopeSpec {
  // transformers 5: rope_scaling (older key) wins over rope_parameters; rope_theta moves inside
  const rp: Record<string, unknown> = { ...(c.rope_scaling ?? c.rope_parameters ?? {}) };
  const type = (rp.rope_type ?? rp.type ?? 'default') as string;
  const field = c.rope_scaling ? 'rope_scaling' : 'rope_parameters';
  if (!(ROPE_TYPES as readonly string[]).includes(type)) {
    throw new InputError(`unsupported rope type "${type}"`, { file, field: `${field}.rope_type`, hint: `supported: ${ROPE_TYPES.join(', ')}` });
  }
  const partial = (rp.partial_rotary_factor as number | undefined) ?? c.partial_rotary_factor ?? 1;
  if (partial !== 1) throw new InputError(`partial_rotary_factor ${partial} is not supported (only 1)`, { file, field: 'partial_rotary_factor' });
  const num = (k: string) => (typeof rp[k] === 'number' ? (rp[k] as number) : undefined);
  const spec: RopeSpec = {
    rope_type: type as RopeType,
    rope_theta: num('rope_theta') ?? c.rope_theta ?? 10000,
    dim: headDim,
    max_position_embeddings: maxPos,
    factor: num('factor'),
    low_freq_factor: num('low_freq_factor'),
    high_freq_factor: num('high_freq_factor'),
    attention_factor: num('attention_factor'),
    beta_fast: num('beta_fast'),
    beta_slow: num('beta_slow'),
    mscale: num('mscale'),
    mscale_all_dim: num('mscale_all_dim'),
    truncate: typeof rp.truncate === 'boolean' ? rp.truncate : undefined,
  };
  if (type === 'llama3' || type === 'yarn') spec.original_max_position_embeddings = c.original_max_position_embeddings ?? num('original_max_position_embeddings') ?? maxPos;
  if (type !== 'default' && type !== 'yarn' && spec.factor === undefined) throw new InputError(`rope type "${type}" needs a factor`, { file, field: `${field}.factor` });
  return spec;
}

/** Parses a config.json object into the decoder config; every problem names the file and field. */
export function parseDecoderConfig(json: unknown, file: string): DecoderConfig {
  const arch = archOf((json ?? {}) as { model_type?: string }, file);
  const r = RawConfig.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new InputError(i.message, { file, field: i.path.join('.') });
  }
  const c = r.data;
  const a = HF_ARCHS[arch];
  if (c.hidden_act && c.hidden_act !== 'silu') throw new InputError(`hidden_act "${c.hidden_act}" is not supported (only silu)`, { file, field: 'hidden_act' });
  if (c.use_sliding_window) throw new InputError('sliding-window attention is not supported', { file, field: 'use_sliding_window', hint: 'set use_sliding_window to false (Qwen2.5 checkpoints ship with it off)' });
  const kv = c.num_key_value_heads ?? c.num_attention_heads;
  if (c.num_attention_heads % kv !== 0) throw new InputError(`num_attention_heads ${c.num_attention_heads} is not a multiple of num_key_value_heads ${kv}`, { file, field: 'num_key_value_heads' });
  const headDim = c.head_dim ?? a.headDim ?? c.hidden_size / c.num_attention_heads;
  if (!Number.isInteger(headDim)) throw new InputError(`hidden_size ${c.hidden_size} is not divisible by num_attention_heads ${c.num_attention_heads}`, { file, field: 'head_dim' });
  const maxPos = c.max_position_embeddings ?? 2048;
  const attnBias = c.attention_bias ?? false;
  return {
    arch,
    model_type: c.model_type ?? arch,
    vocab_size: c.vocab_size,
    hidden_size: c.hidden_size,
    intermediate_size: c.intermediate_size,
    num_hidden_layers: c.num_hidden_layers,
    num_attention_heads: c.num_attention_heads,
    num_key_value_heads: kv,
    head_dim: headDim,
    rms_norm_eps: c.rms_norm_eps ?? 1e-6,
    max_position_embeddings: maxPos,
    tie_word_embeddings: c.tie_word_embeddings ?? false,
    qkv_bias: a.qkvBias(c),
    o_bias: arch !== 'qwen2' && attnBias,
    mlp_bias: arch === 'llama' && (c.mlp_bias ?? false),
    qk_norm: a.qkNorm,
    rope: ropeSpec(c, headDim, maxPos, file),
    bos_token_id: asIds(c.bos_token_id)[0],
    eos_token_ids: asIds(c.eos_token_id),
    pad_token_id: asIds(c.pad_token_id)[0],
  };
}

const GenerationConfig = z.looseObject({
  eos_token_id: ids,
  bos_token_id: ids,
  pad_token_id: ids,
  do_sample: z.boolean().optional(),
  temperature: z.number().nonnegative().nullish(),
  top_p: z.number().nullish(),
  top_k: z.number().int().nullish(),
  max_new_tokens: z.number().int().nullish(),
});

/** Sampling defaults and stop ids from generation_config.json (absent file: none). */
export interface GenerationDefaults {
  eos_token_ids?: number[];
  pad_token_id?: number;
  do_sample?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  max_new_tokens?: number;
}

export function readGenerationConfig(dir: string): GenerationDefaults {
  const file = join(dir, 'generation_config.json');
  if (!existsSync(file)) return {};
  const r = GenerationConfig.safeParse(readJson(file));
  if (!r.success) {
    const i = r.error.issues[0];
    throw new InputError(i.message, { file, field: i.path.join('.') });
  }
  const g = r.data;
  const eos = asIds(g.eos_token_id);
  return {
    eos_token_ids: eos.length ? eos : undefined,
    pad_token_id: asIds(g.pad_token_id)[0],
    do_sample: g.do_sample,
    temperature: g.temperature ?? undefined,
    top_p: g.top_p ?? undefined,
    top_k: g.top_k ?? undefined,
    max_new_tokens: g.max_new_tokens ?? undefined,
  };
}

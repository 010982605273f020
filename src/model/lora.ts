// LoRA as PEFT defines it: y = x Wᵀ + b + dropout(x) Aᵀ Bᵀ · (lora_alpha / r) (or / √r with use_rslora), A
// initialised kaiming-uniform (bound 1/√in) and B zero, on the linear layers named by target_modules (suffix
// names, a full-match regex, or "all-linear"). The base stays frozen as plain tensors; A and B are the only
// variables. Saved and loaded in PEFT's layout (adapter_config.json + adapter_model.safetensors), merged on request.

import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { Rng } from '../util/rng.js';
import { LINEAR_NAMES, type Linear } from './decoder.js';
import { linearKey, linearShapes } from './hf-weights.js';
import { encodeSafetensors, readHeader, readTensors, type TensorData } from './safetensors.js';
import { mm, variableFrom } from './gpt.js';
import type { HfModel } from './hf-model.js';

export const LoraSettings = z.strictObject({
  r: z.number().int().positive().default(8).describe('rank of the update'),
  lora_alpha: z.number().positive().default(16).describe('the update is scaled by lora_alpha / r'),
  lora_dropout: z.number().min(0).max(1).default(0).describe('dropout on the adapter input while training'),
  target_modules: z.union([z.array(z.string()).min(1), z.string()]).default(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']).describe('layer names, "all-linear", or a full-match regex'),
  use_rslora: z.boolean().default(false).describe('scale by lora_alpha / sqrt(r)'),
});
export type LoraSettings = z.infer<typeof LoraSettings>;

/** The keys of PEFT's adapter_config.json that change what the adapter computes; the rest are ignored. */
const PeftConfig = z.looseObject({
  peft_type: z.literal('LORA').optional(),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive(),
  lora_dropout: z.number().min(0).max(1).default(0),
  target_modules: z.union([z.array(z.string()), z.string()]),
  use_rslora: z.boolean().default(false),
  bias: z.literal('none').default('none'),
  fan_in_fan_out: z.literal(false).default(false),
  use_dora: z.literal(false).nullish(),
  modules_to_save: z.null().or(z.array(z.string()).max(0)).nullish(),
  layers_to_transform: z.null().optional(),
  exclude_modules: z.null().optional(),
  lora_bias: z.literal(false).optional(),
  target_parameters: z.null().or(z.array(z.string()).max(0)).nullish(),
  trainable_token_indices: z.null().optional(),
  rank_pattern: z.record(z.string(), z.never()).nullish(),
  alpha_pattern: z.record(z.string(), z.never()).nullish(),
});

/** Module paths (model.layers.L.self_attn.q_proj …) the settings select. */
export function targetModules(m: HfModel, target: LoraSettings['target_modules']): string[] {
  const shapes = linearShapes(m.decoder);
  const all: string[] = [];
  for (let l = 0; l < m.decoder.num_hidden_layers; l++) for (const n of LINEAR_NAMES) all.push(linearKey(l, n, shapes[n].module));
  if (target === 'all-linear') return all;
  if (typeof target === 'string') {
    const re = new RegExp(`^(?:${target})$`);
    return all.filter((p) => re.test(p));
  }
  const names = new Set(LINEAR_NAMES as readonly string[]);
  const unknown = target.filter((t) => !names.has(t) && !all.includes(t));
  if (unknown.length) throw new InputError(`target_modules ${JSON.stringify(unknown)} name no linear layer of a ${m.decoder.arch} model`, { field: 'lora.target_modules', hint: `use some of ${LINEAR_NAMES.join(', ')}, or "all-linear"` });
  return all.filter((p) => target.some((t) => p === t || p.endsWith(`.${t}`)));
}

function layerOf(m: HfModel, path: string): Linear {
  const [, , l, , n] = path.split('.');
  return m.weights.layers[Number(l)][n as (typeof LINEAR_NAMES)[number]];
}

const scaleOf = (s: Pick<LoraSettings, 'r' | 'lora_alpha' | 'use_rslora'>) => s.lora_alpha / (s.use_rslora ? Math.sqrt(s.r) : s.r);

/** Adds fresh adapters (A random from the seed, B zero) to the selected layers; returns their module paths. */
export function attachLora(m: HfModel, settings: LoraSettings, seed: number | string): string[] {
  if (Object.keys(m.trainable).length) throw new InputError('the model already has LoRA adapters', { field: 'lora' });
  const rng = new Rng(`lora/${seed}`);
  const paths = targetModules(m, settings.target_modules);
  if (!paths.length) throw new InputError(`target_modules ${JSON.stringify(settings.target_modules)} select no layer`, { field: 'lora.target_modules' });
  for (const p of paths) {
    const lin = layerOf(m, p);
    const [out, inp] = lin.w.shape;
    const bound = 1 / Math.sqrt(inp);
    const a = new Float32Array(inp * settings.r).map(() => (2 * rng.next() - 1) * bound);
    setPair(m, p, lin, tf.tensor2d(a, [inp, settings.r]), tf.zeros([settings.r, out]), settings);
  }
  m.lora = { ...settings, targets: paths };
  return paths;
}

function setPair(m: HfModel, path: string, lin: Linear, a: tf.Tensor, b: tf.Tensor, s: LoraSettings): void {
  lin.lora = { a: variableFrom(a), b: variableFrom(b), scale: scaleOf(s), dropout: s.lora_dropout };
  m.trainable[`${path}.lora_A`] = lin.lora.a;
  m.trainable[`${path}.lora_B`] = lin.lora.b;
}

const PREFIX = 'base_model.model.';

/** Writes adapter_config.json and adapter_model.safetensors (PEFT's names: lora_A [r, in], lora_B [out, r]). */
export async function saveAdapter(m: HfModel, dir: string, baseModel: string = m.dir): Promise<void> {
  const s = m.lora;
  if (!s) throw new InputError('the model has no LoRA adapters to save', { field: 'lora' });
  const tensors: Record<string, TensorData> = {};
  for (const p of s.targets) {
    const { a, b } = layerOf(m, p).lora!;
    const at = tf.transpose(a);
    const bt = tf.transpose(b);
    tensors[`${PREFIX}${p}.lora_A.weight`] = { shape: at.shape, data: (await at.data()) as Float32Array };
    tensors[`${PREFIX}${p}.lora_B.weight`] = { shape: bt.shape, data: (await bt.data()) as Float32Array };
    at.dispose();
    bt.dispose();
  }
  writeFileAtomic(join(dir, 'adapter_model.safetensors'), encodeSafetensors(tensors, { format: 'pt' }));
  // PEFT writes all-linear expanded to the layer names, and a regex as given
  const targets = typeof s.target_modules === 'string' && s.target_modules !== 'all-linear' ? s.target_modules : [...new Set(s.targets.map((p) => p.split('.').pop()!))].sort();
  writeJsonAtomic(join(dir, 'adapter_config.json'), {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: s.r,
    lora_alpha: s.lora_alpha,
    lora_dropout: s.lora_dropout,
    target_modules: targets,
    use_rslora: s.use_rslora,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    layers_to_transform: null,
    use_dora: false,
  });
}

/** Loads a PEFT (or Reprise) adapter directory onto the model; every module it targets must have its pair. */
export function loadAdapter(m: HfModel, dir: string): void {
  const cfgFile = join(dir, 'adapter_config.json');
  const wFile = join(dir, 'adapter_model.safetensors');
  for (const f of [cfgFile, wFile]) if (!existsSync(f)) throw new InputError(`${f.split('/').pop()} is missing`, { file: dir, hint: 'a PEFT adapter directory holds adapter_config.json and adapter_model.safetensors' });
  const parsed = PeftConfig.safeParse(readJson(cfgFile));
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new InputError(`unsupported adapter setting: ${i.message}`, { file: cfgFile, field: i.path.join('.'), hint: 'Reprise loads plain LoRA (no DoRA, bias "none", no modules_to_save, no rank or alpha patterns)' });
  }
  const c = parsed.data;
  const settings: LoraSettings = { r: c.r, lora_alpha: c.lora_alpha, lora_dropout: c.lora_dropout, target_modules: c.target_modules, use_rslora: c.use_rslora };
  if (Object.keys(m.trainable).length) throw new InputError('the model already has LoRA adapters', { file: dir });
  const h = readHeader(wFile);
  const paths = targetModules(m, c.target_modules);
  const tensors = readTensors(h);
  const used = new Set<string>();
  for (const p of paths) {
    const lin = layerOf(m, p);
    const [out, inp] = lin.w.shape;
    const get = (which: 'A' | 'B', shape: number[]) => {
      const name = `${PREFIX}${p}.lora_${which}.weight`;
      const t = tensors[name];
      if (!t) throw new InputError(`tensor ${name} is missing (adapter_config.json targets ${p})`, { file: wFile });
      if (t.shape.join() !== shape.join()) throw new InputError(`tensor ${name} has shape [${t.shape.join(', ')}] but r ${c.r} and the base model imply [${shape.join(', ')}]`, { file: wFile });
      used.add(name);
      return tf.tidy(() => tf.transpose(tf.tensor2d(t.data, t.shape as [number, number])));
    };
    setPair(m, p, lin, get('A', [c.r, inp]), get('B', [out, c.r]), settings);
  }
  const extra = Object.keys(tensors).filter((n) => !used.has(n));
  if (extra.length) throw new InputError(`tensor ${extra[0]} is not a LoRA factor of a layer that adapter_config.json targets`, { file: wFile });
  m.lora = { ...settings, targets: paths };
}

/** W ← W + scale · (B A): the adapters are folded into the base and removed (the model's outputs stay the same). */
export function mergeLora(m: HfModel): void {
  for (const p of m.lora?.targets ?? []) {
    const lin = layerOf(m, p);
    const { a, b, scale } = lin.lora!;
    const merged = tf.tidy(() => lin.w.add(tf.transpose(mm(a, b)).mul(scale))) as tf.Tensor2D;
    lin.w.dispose();
    a.dispose();
    b.dispose();
    lin.w = merged;
    lin.lora = undefined;
  }
  for (const k of Object.keys(m.trainable)) delete m.trainable[k];
  m.lora = undefined;
}

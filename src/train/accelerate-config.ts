// The accelerate config file (`accelerate config` writes YAML) that backend torch launches its worker with: the keys
// that decide how the worker runs, checked before any stage starts. DDP (MULTI_GPU, NO) and FSDP2 (distributed_type
// FSDP, fsdp_version 2) are what the worker does; every other distributed_type, and every FSDP key or value it would
// not honour, is an E_INPUT naming the file, line and key. workers/torch/reprise_fsdp.py reads the same keys from
// the environment accelerate launch sets (FSDP_*), so the two lists below and its checks must agree.

import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { parseYaml } from '../config/yaml.js';

export const AccelerateConfig = z.looseObject({
  distributed_type: z.string().default('NO'),
  num_processes: z.number().int().positive().default(1),
  num_machines: z.number().int().positive().default(1),
  machine_rank: z.number().int().nonnegative().default(0),
  mixed_precision: z.enum(['no', 'bf16', 'fp16']).default('no'),
  use_cpu: z.boolean().default(false),
  fsdp_config: z.record(z.string(), z.unknown()).optional(),
});
export type AccelerateConfig = z.infer<typeof AccelerateConfig>;

/** FSDP settings the worker honours, as accelerate's fsdp_config names them (accelerate also accepts them without the `fsdp_` prefix). */
export const FsdpConfig = z.strictObject({
  fsdp_version: z.literal(2),
  fsdp_reshard_after_forward: z.boolean().default(true),
  fsdp_offload_params: z.boolean().default(false),
  fsdp_auto_wrap_policy: z.enum(['TRANSFORMER_BASED_WRAP', 'NO_WRAP']).default('NO_WRAP'),
  fsdp_transformer_layer_cls_to_wrap: z.string().min(1).optional(),
  fsdp_state_dict_type: z.literal('FULL_STATE_DICT').default('FULL_STATE_DICT'),
  fsdp_cpu_ram_efficient_loading: z.boolean().default(true), // accelerate launch's default
  fsdp_activation_checkpointing: z.literal(false).default(false),
  fsdp_activation_checkpointing_offload: z.literal(false).default(false),
  fsdp_forward_prefetch: z.literal(false).default(false),
  fsdp_sharding_strategy: z.literal('FULL_SHARD').optional(),
  // obsolete under FSDP2 (accelerate ignores them there, with a warning): accepted, no effect
  fsdp_sync_module_states: z.boolean().optional(),
  fsdp_use_orig_params: z.boolean().optional(),
  fsdp_backward_prefetch: z.enum(['BACKWARD_PRE', 'BACKWARD_POST', 'NO_PREFETCH']).optional(),
  fsdp_min_num_params: z.number().int().nonnegative().optional(),
});
export type FsdpConfig = z.infer<typeof FsdpConfig>;

/** Why a key's value is refused, and what to write instead (the schema's own message says only what was expected). */
const FSDP_HINTS: Record<string, string> = {
  fsdp_version: 'the torch worker shards with torch\'s FSDP2 (fully_shard): set fsdp_version: 2 (an FSDP1 fsdp_reshard_after_forward FULL_SHARD is true there, SHARD_GRAD_OP false)',
  fsdp_auto_wrap_policy: 'TRANSFORMER_BASED_WRAP shards each decoder layer (fsdp_transformer_layer_cls_to_wrap, else the model\'s _no_split_modules), NO_WRAP only the whole model; SIZE_BASED_WRAP is not supported',
  fsdp_state_dict_type: 'the worker always gathers the full state dict to rank 0 and saves Hugging Face/PEFT directories (which tfjs, vLLM and transformers load) with a full optimizer state: use FULL_STATE_DICT',
  fsdp_activation_checkpointing: 'activation checkpointing is not supported by the torch worker yet: set it to false',
  fsdp_activation_checkpointing_offload: 'activation checkpointing is not supported by the torch worker yet: set it to false',
  fsdp_forward_prefetch: 'forward prefetch is not implemented in FSDP2 (accelerate refuses it too): set it to false',
  fsdp_sharding_strategy: 'an FSDP1 key: under FSDP2 use fsdp_reshard_after_forward (true: FULL_SHARD, false: SHARD_GRAD_OP)',
  fsdp_reshard_after_forward: 'FSDP2 takes true or false (FSDP1\'s FULL_SHARD is true, SHARD_GRAD_OP false)',
  fsdp_transformer_layer_cls_to_wrap: 'accelerate takes a comma-separated string of class names, e.g. Qwen2DecoderLayer',
};

function readFsdpConfig(c: AccelerateConfig, file: string, lineOf: (p: (string | number)[]) => number | undefined): FsdpConfig {
  const raw = c.fsdp_config ?? {};
  const written = new Map<string, string>(); // normalised key -> the key as written
  const norm: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const key = k.startsWith('fsdp_') ? k : `fsdp_${k}`;
    written.set(key, k);
    norm[key] = v;
  }
  const r = FsdpConfig.safeParse(norm);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  const key = i.code === 'unrecognized_keys' ? `fsdp_${i.keys[0].replace(/^fsdp_/, '')}` : String(i.path[0]);
  const asWritten = written.get(key) ?? key;
  const path = raw[asWritten] === undefined && !written.has(key) ? ['fsdp_config'] : ['fsdp_config', asWritten];
  const message = i.code === 'unrecognized_keys'
    ? `fsdp_config.${asWritten} is not an FSDP key the torch worker knows`
    : key === 'fsdp_version' && norm.fsdp_version === undefined
      ? 'fsdp_config has no fsdp_version, which accelerate reads as 1 (FSDP1); the torch worker runs FSDP2 only'
      : `fsdp_config.${asWritten} ${JSON.stringify(norm[key])} is not supported by the torch worker (${i.message})`;
  throw new InputError(message, { file, line: lineOf(path) ?? lineOf(['distributed_type']), field: path.join('.'), hint: FSDP_HINTS[key] ?? (i.code === 'unrecognized_keys' ? `the keys it knows: ${Object.keys(FsdpConfig.shape).join(', ')}` : undefined) });
}

export function readAccelerateConfig(file: string): AccelerateConfig & { fsdp?: FsdpConfig } {
  if (!existsSync(file)) throw new InputError(`no such accelerate config: ${file}`, { field: 'accelerate_config' });
  const doc = parseYaml(readFileSync(file, 'utf8'), file);
  const r = AccelerateConfig.safeParse(doc.value ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    throw new InputError(`${i.message}`, { file, line: doc.lineOf(i.path as (string | number)[]), field: i.path.join('.') });
  }
  const c = r.data;
  const at = (key: string) => ({ file, line: doc.lineOf([key]), field: key });
  if (['DEEPSPEED', 'MEGATRON_LM', 'XLA'].includes(c.distributed_type)) throw new InputError(`distributed_type ${c.distributed_type} is not supported by the torch worker, which runs DDP (its own gradient all-reduce) or FSDP2`, { ...at('distributed_type'), hint: 'use MULTI_GPU (or NO for one process), or FSDP with fsdp_version: 2 for a model that does not fit one GPU' });
  if (c.distributed_type === 'MULTI_CPU' && c.num_processes > 1) throw new InputError('accelerate runs MULTI_CPU processes through mpirun only; the worker uses torchrun', { ...at('distributed_type'), hint: 'use distributed_type: MULTI_GPU (or FSDP) and set REPRISE_TORCH_DEVICE=cpu for processes on the CPU (gloo)' });
  if (c.distributed_type !== 'FSDP') return c;
  if (c.use_cpu) throw new InputError('use_cpu: true with distributed_type FSDP makes accelerate start one plain process, without FSDP', { ...at('use_cpu'), hint: 'set use_cpu: false and REPRISE_TORCH_DEVICE=cpu for FSDP processes on the CPU (gloo)' });
  return { ...c, fsdp: readFsdpConfig(c, file, doc.lineOf) };
}

/** The recipe's accelerate config files that cannot be used, as issues on the key (checked before any stage runs). */
export function accelerateConfigIssues(r: { sft?: { accelerate_config?: string }; grpo?: { accelerate_config?: string } }): { path: string[]; message: string }[] {
  return (['sft', 'grpo'] as const).flatMap((stage) => {
    const f = r[stage]?.accelerate_config;
    if (!f || !existsSync(f)) return []; // a missing file is placementIssues'
    try {
      readAccelerateConfig(f);
      return [];
    } catch (e) {
      return [{ path: [stage, 'accelerate_config'], message: (e as Error).message }];
    }
  });
}

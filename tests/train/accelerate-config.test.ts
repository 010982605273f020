// The accelerate config file of backend torch: DDP and FSDP2 accepted with the keys the worker honours; every FSDP
// key or value it would not honour refused with the file, line and key (workers/torch/reprise_fsdp.py checks the
// same settings again in the environment accelerate launch gives the ranks).

import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAccelerateConfig } from '../../src/train/accelerate-config.js';
import type { RepriseError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'accelerate-config-'));
let n = 0;
const config = (fsdpLines: string, head = 'distributed_type: FSDP\nnum_processes: 2\n') => {
  const f = join(dir, `c${n++}.yaml`);
  writeFileSync(f, head + (fsdpLines ? `fsdp_config:\n${fsdpLines.split('\n').map((l) => `  ${l}`).join('\n')}\n` : ''));
  return f;
};
const refusal = (f: string): RepriseError => {
  try {
    readAccelerateConfig(f);
  } catch (e) {
    return e as RepriseError;
  }
  throw new Error('expected an error');
};

describe('FSDP accelerate configs', () => {
  it('accepts FSDP2 with the keys users write, with accelerate\'s defaults for the rest', () => {
    const f = config('fsdp_version: 2\nfsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP\nfsdp_transformer_layer_cls_to_wrap: Qwen2DecoderLayer\nfsdp_offload_params: true\nfsdp_reshard_after_forward: false\nfsdp_state_dict_type: FULL_STATE_DICT\nfsdp_cpu_ram_efficient_loading: true\nfsdp_sync_module_states: true\nfsdp_use_orig_params: true\nfsdp_activation_checkpointing: false');
    expect(readAccelerateConfig(f).fsdp).toEqual({
      fsdp_version: 2, fsdp_auto_wrap_policy: 'TRANSFORMER_BASED_WRAP', fsdp_transformer_layer_cls_to_wrap: 'Qwen2DecoderLayer', fsdp_offload_params: true,
      fsdp_reshard_after_forward: false, fsdp_state_dict_type: 'FULL_STATE_DICT', fsdp_cpu_ram_efficient_loading: true, fsdp_sync_module_states: true,
      fsdp_use_orig_params: true, fsdp_activation_checkpointing: false, fsdp_activation_checkpointing_offload: false, fsdp_forward_prefetch: false,
    });
    expect(readAccelerateConfig(config('fsdp_version: 2')).fsdp).toMatchObject({ fsdp_auto_wrap_policy: 'NO_WRAP', fsdp_reshard_after_forward: true, fsdp_offload_params: false });
  });

  it('reads keys written without the fsdp_ prefix, as accelerate does', () => {
    expect(readAccelerateConfig(config('version: 2\noffload_params: true')).fsdp).toMatchObject({ fsdp_version: 2, fsdp_offload_params: true });
  });

  it('DDP configs carry no FSDP settings', () => {
    expect(readAccelerateConfig(config('', 'distributed_type: MULTI_GPU\nnum_processes: 2\n')).fsdp).toBeUndefined();
  });

  it('refuses FSDP1, naming the line of fsdp_version, or of fsdp_config when the key is absent (accelerate reads it as 1)', () => {
    const v1 = config('fsdp_version: 1\nfsdp_offload_params: false');
    expect(refusal(v1).message).toMatch(new RegExp(`^${v1}, line 4, field "fsdp_config\\.fsdp_version": fsdp_config\\.fsdp_version 1 is not supported by the torch worker`));
    expect(refusal(v1).hint).toMatch(/set fsdp_version: 2/);
    const absent = config('fsdp_offload_params: false');
    expect(refusal(absent).message).toMatch(new RegExp(`^${absent}, line 3, field "fsdp_config": fsdp_config has no fsdp_version, which accelerate reads as 1 \\(FSDP1\\)`));
    const none = config('');
    expect(refusal(none).message).toMatch(new RegExp(`^${none}, line 1, field "fsdp_config": fsdp_config has no fsdp_version`));
  });

  it('refuses what the worker does not do, naming the key as written and saying what to write', () => {
    const cases: [string, string, RegExp][] = [
      ['fsdp_state_dict_type: SHARDED_STATE_DICT', 'fsdp_config.fsdp_state_dict_type', /use FULL_STATE_DICT/],
      ['auto_wrap_policy: SIZE_BASED_WRAP', 'fsdp_config.auto_wrap_policy', /SIZE_BASED_WRAP is not supported/],
      ['fsdp_activation_checkpointing: true', 'fsdp_config.fsdp_activation_checkpointing', /not supported by the torch worker yet/],
      ['fsdp_reshard_after_forward: FULL_SHARD', 'fsdp_config.fsdp_reshard_after_forward', /FSDP2 takes true or false/],
      ['fsdp_forward_prefetch: true', 'fsdp_config.fsdp_forward_prefetch', /not implemented in FSDP2/],
      ['fsdp_transformer_layer_cls_to_wrap: [Qwen2DecoderLayer]', 'fsdp_config.fsdp_transformer_layer_cls_to_wrap', /comma-separated string of class names/],
      ['fsdp_shard_everything: true', 'fsdp_config.fsdp_shard_everything', /the keys it knows: fsdp_version, /],
    ];
    for (const [line, field, hint] of cases) {
      const f = config(`fsdp_version: 2\n${line}`);
      const e = refusal(f);
      expect(e.code).toBe('E_INPUT');
      expect(e.message).toContain(`${f}, line 5, field "${field}": ${field}`);
      expect(e.hint).toMatch(hint);
    }
  });

  it('refuses FSDP with use_cpu (accelerate would start one plain process) and DeepSpeed', () => {
    const cpu = config('fsdp_version: 2', 'distributed_type: FSDP\nnum_processes: 2\nuse_cpu: true\n');
    expect(refusal(cpu).message).toMatch(new RegExp(`^${cpu}, line 3, field "use_cpu": use_cpu: true with distributed_type FSDP`));
    expect(refusal(cpu).hint).toMatch(/REPRISE_TORCH_DEVICE=cpu/);
    const ds = config('', 'distributed_type: DEEPSPEED\nnum_processes: 2\n');
    expect(refusal(ds).message).toMatch(/line 1, field "distributed_type": distributed_type DEEPSPEED is not supported/);
  });
});

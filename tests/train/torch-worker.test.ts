// The torch worker's client without torch: the dependency check and E_DEPS from the real Python worker, the
// accelerate command line built from real config files (torch-worker-process.slow.test.ts: workers that fail).

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTorchDeps, failedRank, launchOf, workerScript } from '../../src/train/torch-worker.js';
import type { RepriseError } from '../../src/util/errors.js';

const check = spawnSync('python3', [workerScript(), '--check'], { encoding: 'utf8' });
const hasTorch = check.status === 0;
const dir = mkdtempSync(join(tmpdir(), 'torch-worker-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('dependency check (the real `reprise_worker.py --check`)', () => {
  it.skipIf(hasTorch)('names every missing package and exits 3 (this python3 has no torch)', () => {
    expect(check.status).toBe(3);
    const report = JSON.parse(check.stdout);
    expect(report.missing.map((m: { package: string }) => m.package)).toContain('torch');
    expect(() => checkTorchDeps()).toThrow(/^backend torch: Python [\d.]+ \(python3\) lacks torch \(ModuleNotFoundError/);
    try {
      checkTorchDeps();
    } catch (e) {
      expect((e as RepriseError).code).toBe('E_DEPS');
      expect((e as RepriseError).hint).toMatch(/pip install torch transformers peft accelerate/);
    }
  });

  it.runIf(hasTorch)('passes where torch, transformers, peft and accelerate are installed', () => {
    expect(checkTorchDeps().missing).toEqual([]);
  }, 60_000); // importing the four packages takes seconds

  it('says so when the Python interpreter itself is missing', () => {
    process.env.REPRISE_PYTHON = join(dir, 'no-such-python3');
    try {
      expect(() => checkTorchDeps()).toThrow(/backend torch needs .*no-such-python3 with torch, transformers, peft and accelerate: spawnSync .* ENOENT/);
    } finally {
      delete process.env.REPRISE_PYTHON;
    }
  });

});

describe('accelerate config → launch command', () => {
  it('no config: one Python process', () => {
    expect(launchOf()).toEqual({ command: 'python3', args: ['-u', workerScript()], world: 1 });
  });

  it('a config file: accelerate launch with it; the world size is its num_processes', () => {
    const f = file('two.yaml', 'compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nnum_processes: 2\nnum_machines: 1\nmixed_precision: bf16\n');
    expect(launchOf(f)).toEqual({ command: 'accelerate', args: ['launch', '--config_file', f, workerScript()], world: 2 });
    process.env.REPRISE_ACCELERATE = 'python3 -m accelerate.commands.launch';
    try {
      expect(launchOf(f).command).toBe('python3');
      expect(launchOf(f).args.slice(0, 4)).toEqual(['-m', 'accelerate.commands.launch', '--config_file', f]);
    } finally {
      delete process.env.REPRISE_ACCELERATE;
    }
  });

  it('refuses DeepSpeed configs, naming the file, line and key', () => {
    const f = file('ds.yaml', 'compute_environment: LOCAL_MACHINE\ndistributed_type: DEEPSPEED\nnum_processes: 2\n');
    expect(() => launchOf(f)).toThrow(`${f}, line 2, field "distributed_type": distributed_type DEEPSPEED is not supported by the torch worker, which runs DDP (its own gradient all-reduce) or FSDP2`);
  });

  it('an FSDP2 config: accelerate launch with it, marked fsdp (the worker must say so in its hello)', () => {
    const f = file('fsdp.yaml', 'distributed_type: FSDP\nnum_processes: 2\nfsdp_config:\n  fsdp_version: 2\n');
    expect(launchOf(f)).toEqual({ command: 'accelerate', args: ['launch', '--config_file', f, workerScript()], world: 2, fsdp: true });
  });

  it('refuses MULTI_CPU with several processes (accelerate would need mpirun) and says what to use', () => {
    const f = file('cpu.yaml', 'distributed_type: MULTI_CPU\nnum_processes: 2\n');
    expect(() => launchOf(f)).toThrow(/REPRISE_TORCH_DEVICE=cpu/);
  });

  it('a wrong value or a missing file is E_INPUT', () => {
    const f = file('mp.yaml', 'distributed_type: MULTI_GPU\nnum_processes: 2\nmixed_precision: fp8\n');
    expect(() => launchOf(f)).toThrow(new RegExp(`^${f}, line 3, field "mixed_precision": `));
    expect(() => launchOf(join(dir, 'absent.yaml'))).toThrow(/no such accelerate config: .*absent\.yaml/);
  });
});

describe('the rank of a failure', () => {
  it('failedRank reads torchrun\'s summary and the [rankN] prefix', () => {
    expect(failedRank('Failures:\n  rank      : 3 (local_rank: 1)\n')).toBe(3);
    expect(failedRank('[rank2]: Traceback (most recent call last):')).toBe(2);
    expect(failedRank('Traceback (most recent call last):')).toBeUndefined();
  });
});

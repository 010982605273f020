// FSDP in the torch worker, against one process: the worker's own `--self-test-fsdp` drives one plain process and two
// FSDP2 processes (gloo on the CPU) through the same requests. Needs a Python with torch, transformers, peft and
// accelerate (REPRISE_PYTHON, else python3): skipped, saying why, where `--check` fails (CI has no torch);
// scripts/device/torch-e2e.sh runs it on the GPU machine (its `fsdp` part).

import { describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hello, PROTOCOL_VERSION, TorchWorker, workerScript } from '../../src/train/torch-worker.js';
import type { RepriseError } from '../../src/util/errors.js';

const python = process.env.REPRISE_PYTHON ?? 'python3';
const check = spawnSync(python, [workerScript(), '--check'], { encoding: 'utf8' });
const missing = check.status === 0 ? [] : check.error ? [python] : (JSON.parse(check.stdout || '{"missing":[{"package":"python3"}]}').missing as { package: string }[]).map((m) => m.package);

describe('FSDP against one process', () => {
  if (missing.length) {
    it.skip(`skipped: ${python} lacks ${missing.join(', ')} (workers/torch/reprise_worker.py --check; set REPRISE_PYTHON to a Python that has them)`, () => {});
    return;
  }
  it('two FSDP gloo processes give the one-process tokens, log-probs, SFT/GRPO losses and gradient norms within 1e-5, and checkpoints that resume either way', async () => {
    const out = mkdtempSync(join(tmpdir(), 'torch-fsdp-'));
    // async: the run takes a minute or more, which a blocking spawnSync would take from vitest's event loop
    const r = await promisify(execFile)(python, [workerScript(), '--self-test-fsdp', 'scripts/device/torch-e2e/accelerate-2proc-fsdp-gloo.yaml', 'tests/fixtures/hf/qwen2', out], {
      encoding: 'utf8', env: { ...process.env, REPRISE_TORCH_DEVICE: 'cpu' }, timeout: 600_000, maxBuffer: 64 << 20,
    }).then((x) => ({ ...x, status: 0 }), (e: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? String(e), status: e.code }));
    const res = JSON.parse(r.stdout.trim().split('\n').pop() || '{}');
    expect(res.failed ?? {}, r.stderr.slice(-3000)).toEqual({});
    expect(res.world_size).toBe(2);
    expect(res.fsdp).toMatchObject({ version: 2, auto_wrap_policy: 'TRANSFORMER_BASED_WRAP', layer_classes: ['Qwen2DecoderLayer'] });
    expect(res.tokens_equal).toBe(true);
    for (const [what, d] of Object.entries(res.diff as Record<string, number>)) expect(d, what).toBeLessThanOrEqual(1e-5);
    expect(Object.keys(res.diff)).toEqual(['logprobs', 'steps', 'trained_logprobs', 'reference_logprobs', 'reload_adapter', 'reload_merged', 'resume_step_one_from_fsdp', 'resume_step_fsdp_from_one']);
    expect(r.status).toBe(0);
  }, 600_000);

  it('a worker launched with FSDP settings it does not honour answers hello with E_INPUT naming the key', async () => {
    const w = TorchWorker.spawn({ command: python, args: ['-u', workerScript()], world: 1 }, { env: { ACCELERATE_USE_FSDP: 'true', FSDP_VERSION: '1' } });
    const e = await w.request('hello', { protocol: PROTOCOL_VERSION }, Hello).then(() => undefined, (x: RepriseError) => x);
    await w.close();
    expect(e?.code).toBe('E_INPUT');
    expect(e?.message).toMatch(/^torch worker, rank 0, hello: fsdp_config\.fsdp_version is 1 \(FSDP_VERSION\): the torch worker runs FSDP2 only; set fsdp_version: 2$/);
  }, 120_000);
});

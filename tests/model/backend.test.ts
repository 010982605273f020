// --backend: auto's choice and reason, and a webgpu that cannot start as one coded line (a real `reprise` process).

import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveBackend } from '../../src/model/backend.js';
import { cli } from '../cli-process.js';


const reprise = (args: string[], env: Record<string, string>) => cli(args, { script: 'bin/reprise.js', env });

describe('--backend', () => {
  it('auto says in one line which backend it took and why', async () => {
    const r = await resolveBackend('auto');
    expect(['webgpu', 'wasm']).toContain(r.name);
    expect(r.why).toMatch(r.name === 'webgpu' ? /^auto: a WebGPU adapter was found/ : /^auto: /);
    expect(r.why).not.toContain('\n');
  });

  it('blas without OpenBLAS is an E_BACKEND line naming the library it looked for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-backend-'));
    writeFileSync(join(dir, 'in.jsonl'), '{"id":"a","messages":[{"role":"user","content":"hi"}]}\n');
    const args = ['generate', '--backend', 'blas', '--model', join(dir, 'none'), '--input', join(dir, 'in.jsonl'), '--output', join(dir, 'out.jsonl')];
    const r = await reprise(args, { REPRISE_BLAS: join(dir, 'libnone.so') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`reprise: error [E_BACKEND]: backend blas: ${join(dir, 'libnone.so')} could not be used`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('an explicit backend is taken as asked', async () => {
    expect(await resolveBackend('cpu')).toEqual({ name: 'cpu', why: 'asked for' });
  });

  it('webgpu without an adapter is an E_BACKEND line and exit 2, not a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-backend-'));
    writeFileSync(join(dir, 'in.jsonl'), '{"id":"a","messages":[{"role":"user","content":"hi"}]}\n');
    const args = ['generate', '--backend', 'webgpu', '--model', join(dir, 'none'), '--input', join(dir, 'in.jsonl'), '--output', join(dir, 'out.jsonl')];
    const r = await reprise(args, { REPRISE_WEBGPU: 'metal' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('reprise: error [E_BACKEND]: backend webgpu: REPRISE_WEBGPU must be opengl or vulkan, got "metal"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('an unknown --backend names the allowed ones', async () => {
    const r = await reprise(['generate', '--backend', 'cuda', '--model', 'x', '--input', 'x', '--output', 'x'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--backend must be one of auto, wasm, blas, cpu, webgpu, got "cuda"');
  }, 30_000);
});

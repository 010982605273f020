// `reprise run --backend webgpu` (Dawn; on a CPU machine its OpenGL backend over llvmpipe) runs a shrunken tiny-r1
// through every stage — datagen, SFT, GRPO, the three evals — with the fused kernels, in a real subprocess.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWebGpuAdapter } from '../../src/model/backend.js';
import { cli } from '../cli-process.js';

process.env.REPRISE_WEBGPU ??= 'opengl';
const gpu = await findWebGpuAdapter();
const small = ['datagen.splits.sft.count=64', 'datagen.splits.rl.count=16', 'datagen.splits.test.count=6', 'sft.steps=3', 'grpo.steps=1', 'grpo.prompts_per_step=2', 'grpo.group_size=2', 'grpo.max_tokens=8', 'eval.n_samples=1', 'eval.max_tokens=8', 'eval.bootstrap_resamples=50'];

describe.skipIf(typeof gpu === 'string')(`reprise run on webgpu${typeof gpu === 'string' ? ` (skipped: ${gpu})` : ''}`, () => {
  it('finishes every stage of tiny-r1 and records webgpu as the backend', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-webgpu-run-'));
    const { code, stderr } = await cli(['run', 'recipes/tiny-r1/v1.yaml', '--backend', 'webgpu', '--work-dir', join(dir, 'work'), '--reports', join(dir, 'reports'), ...small.flatMap((s) => ['--set', s])]);
    expect(code, stderr.slice(-2000)).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, 'reports/runs/tiny-r1-v1-s1234/summary.json'), 'utf8'));
    expect(summary.provenance.backend).toBe('webgpu');
    expect(summary.models.map((m: { model: string }) => m.model)).toEqual(['base', 'sft', 'grpo']);
  }, 300_000);
});

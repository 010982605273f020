// backend: torch end to end through the real worker: SFT then GRPO with LoRA on the tiny qwen2 fixture, then the
// tfjs eval of the merged checkpoints. Needs python3 with torch, transformers, peft and accelerate (the GPU
// machine; scripts/device/torch-e2e.sh runs it there): skipped, saying why, where `--check` fails.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workerScript } from '../../src/train/torch-worker.js';
import { runRecipe } from '../../src/pipeline/run.js';

const check = spawnSync('python3', [workerScript(), '--check'], { encoding: 'utf8' });
const missing = check.status === 0 ? [] : (JSON.parse(check.stdout || '{"missing":[{"package":"python3"}]}').missing as { package: string }[]).map((m) => m.package);

describe('backend torch, end to end', () => {
  if (missing.length) {
    it.skip(`skipped: python3 lacks ${missing.join(', ')} (workers/torch/reprise_worker.py --check); scripts/device/torch-e2e.sh runs this on the GPU machine`, () => {});
    return;
  }
  it('trains SFT then GRPO on the torch worker and evaluates the merged checkpoints in tfjs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'torch-e2e-'));
    const s = await runRecipe({ recipePath: join(process.cwd(), 'scripts/device/torch-e2e/tiny.yaml'), root: process.cwd(), workDir: join(root, 'work'), reportsDir: join(root, 'reports') });
    expect(s.models.map((m) => m.model)).toEqual(['base', 'sft', 'grpo']);
    const stages = readdirSync(join(root, 'work/stages'));
    for (const st of ['sft', 'grpo']) {
      const dir = join(root, 'work/stages', stages.find((d) => d.startsWith(`${st}-`))!);
      const done = JSON.parse(readFileSync(join(dir, 'done.json'), 'utf8'));
      expect(done.outputs).toMatchObject({ backend: 'torch', world_size: 1 });
      expect(existsSync(join(dir, 'model/model.safetensors')) && existsSync(join(dir, 'adapter/adapter_model.safetensors'))).toBe(true);
      const losses = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).loss as number);
      expect(losses.every(Number.isFinite)).toBe(true);
    }
  }, 600_000);
});

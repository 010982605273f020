// The parts of the torch stages that need no worker: where a killed run resumes, the codec of a checkpoint
// directory read without loading its weights, and the per-row sampling seeds.

import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirCodec, lastCheckpoint, sampleSeed } from '../../src/train/torch-stages.js';

describe('torch stages without a worker', () => {
  it('resumes from the newest checkpoint that has its state file (a half-written one does not count)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'torch-ckpt-'));
    expect(lastCheckpoint(dir)).toBeUndefined();
    for (const [name, state] of [['ckpt-2', { step: 2, elapsed_s: 1.5 }], ['ckpt-10', { step: 10, elapsed_s: 7 }], ['ckpt-12', undefined], ['ckpt-4.tmp-99', { step: 4, elapsed_s: 3 }]] as const) {
      mkdirSync(join(dir, name));
      if (state) writeFileSync(join(dir, name, 'reprise_state.json'), JSON.stringify(state));
    }
    expect(lastCheckpoint(dir)).toEqual({ dir: join(dir, 'ckpt-10'), step: 10, elapsed_s: 7 });
  });

  it('reads the codec, eos ids and context length of a checkpoint directory', () => {
    const { codec, maxContext } = dirCodec('tests/fixtures/hf/qwen2');
    expect(maxContext).toBe(256);
    expect(codec.eosIds).toEqual([352]);
    const prompt = codec.encodePrompt([{ role: 'user', content: '12+34' }]);
    expect(codec.decode(prompt)).toContain('12+34');
  });

  it('gives each row of a step its own seed, the same whatever the batch', () => {
    const a = [0, 1, 2, 3].map((i) => sampleSeed(7, 3, i));
    expect(new Set(a).size).toBe(4);
    expect(sampleSeed(7, 3, 2)).toBe(a[2]);
    expect(sampleSeed(7, 4, 2)).not.toBe(a[2]);
    expect(a.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 31)).toBe(true);
  });
});

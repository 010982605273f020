// A Hugging Face stage cached by older model code is not reused: the base model's stage key (from which SFT, GRPO
// and eval keys chain) names the version of the decoder's code.

import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finishStage, hfInitInputs, openStage } from '../../src/pipeline/stages.js';

const model = { path: 'tests/fixtures/hf/qwen2', lora: { r: 4 } };
const weights = 'a'.repeat(64);

describe('the stage key of a Hugging Face base model', () => {
  it('is not the key that code before the model-code version gave, so its cached stages are not reused', async () => {
    const work = mkdtempSync(join(tmpdir(), 'reprise-hf-key-'));
    // what the pipeline keyed an HF base model by before: its settings and weights (and the backend off wasm)
    const old = await openStage(work, 'init', 'init', { model, weights }, false);
    finishStage(old, 0, { path: model.path });
    old.lock.release();
    const now = await openStage(work, 'init', 'init', hfInitInputs(model, weights, {}), false);
    now.lock.release();
    expect(now.key).not.toBe(old.key);
    expect(now.done).toBeUndefined();
    const again = await openStage(work, 'init', 'init', hfInitInputs(model, weights, {}), false);
    again.lock.release();
    expect(again.key).toBe(now.key);
  });
});

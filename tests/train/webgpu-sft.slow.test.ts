// SFT steps of our GPT on webgpu (Dawn; on a CPU machine its OpenGL backend over llvmpipe) log the same losses and
// gradient norms as on cpu: the whole training step, AdamW included, runs there without a synchronous read.

import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWebGpuAdapter, initBackend } from '../../src/model/backend.js';
import { createModel, disposeModel } from '../../src/model/lm.js';
import { gptPolicy } from '../../src/model/policy.js';
import { trainSft } from '../../src/train/sft.js';
import { tinySft } from '../fixtures/tiny-r1-stages.js';
import { tinyR1Addition } from '../../datagen/tiny-r1/index.js';
import { DEFAULT_SPECIALS } from '../../src/model/tokenizer.js';
import { readJsonl } from '../../src/util/fs.js';

process.env.REPRISE_WEBGPU ??= 'opengl';
process.env.REPRISE_QUIET = '1';
const gpu = await findWebGpuAdapter();
const spec = { kind: 'char' as const, chars: tinyR1Addition.chars, specials: DEFAULT_SPECIALS };
const tiny = { d_model: 32, n_layer: 2, n_head: 2, context_length: 96 };
const data = tinyR1Addition.generate(5, { sft: { count: 16, digit_weights: [1, 1] }, rl: { count: 8, digit_weights: [1, 1] } });

async function sftLog(backend: 'cpu' | 'webgpu'): Promise<{ loss: number; grad_norm: number }[]> {
  await initBackend(backend);
  const dir = mkdtempSync(join(tmpdir(), `reprise-sft-${backend}-`));
  const model = createModel(tiny, spec, 1);
  await trainSft({ model: gptPolicy(model), conversations: data.sft, cfg: { ...tinySft, steps: 4, batch_size: 4, checkpoint_every: 100, log_every: 1 }, seed: 1, ckpt: join(dir, 'ckpt.safetensors'), logFile: join(dir, 'log.jsonl') });
  disposeModel(model);
  return readJsonl<{ loss: number; grad_norm: number }>(join(dir, 'log.jsonl'));
}

describe.skipIf(typeof gpu === 'string')(`SFT on webgpu${typeof gpu === 'string' ? ` (skipped: ${gpu})` : ''}`, () => {
  it('logs the losses and gradient norms of the same steps on cpu within 1e-4', async () => {
    const cpu = await sftLog('cpu');
    const webgpu = await sftLog('webgpu');
    expect(webgpu.length).toBe(4);
    for (let i = 0; i < cpu.length; i++) {
      expect(Math.abs(webgpu[i].loss - cpu[i].loss) / cpu[i].loss, `loss at step ${i}`).toBeLessThan(1e-4);
      expect(Math.abs(webgpu[i].grad_norm - cpu[i].grad_norm) / cpu[i].grad_norm, `grad_norm at step ${i}`).toBeLessThan(1e-4);
    }
  }, 120_000);
});

// GRPO and sampling of our GPT on webgpu (Dawn; on a CPU machine its OpenGL backend over llvmpipe): they read
// tensors back only asynchronously, and the same seeds give the same completions and logged metrics as on cpu.

import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWebGpuAdapter, initBackend } from '../../src/model/backend.js';
import { createModel, disposeModel, gptLM } from '../../src/model/lm.js';
import { gptPolicy } from '../../src/model/policy.js';
import { trainGrpo } from '../../src/train/grpo.js';
import { sampleBatch } from '../../src/inference/sample.js';
import { tinyGrpo } from '../fixtures/tiny-r1-stages.js';
import { tinyR1Addition } from '../../datagen/tiny-r1/index.js';
import { DEFAULT_SPECIALS } from '../../src/model/tokenizer.js';
import { readJsonl } from '../../src/util/fs.js';
import { Rng } from '../../src/util/rng.js';

process.env.REPRISE_WEBGPU ??= 'opengl';
process.env.REPRISE_QUIET = '1';
const gpu = await findWebGpuAdapter();
const spec = { kind: 'char' as const, chars: tinyR1Addition.chars, specials: DEFAULT_SPECIALS };
const tiny = { d_model: 32, n_layer: 2, n_head: 2, context_length: 64 };
const data = tinyR1Addition.generate(5, { sft: { count: 4, digit_weights: [1, 1] }, rl: { count: 8, digit_weights: [1, 1] } });
const prompts = data.rl.map((r) => ({ id: r.id, messages: r.messages.slice(0, 1), answer: r.answer }));

async function run(backend: 'cpu' | 'webgpu') {
  await initBackend(backend);
  const dir = mkdtempSync(join(tmpdir(), `reprise-grpo-${backend}-`));
  const model = createModel(tiny, spec, 1);
  const reference = createModel(tiny, spec, 2);
  const tok = model.tokenizer;
  const promptIds = prompts.slice(0, 3).map((p) => tok.encodePrompt(p.messages));
  const sampled = await sampleBatch(gptLM(model), promptIds, { temperature: 1, top_p: 0.9, max_tokens: 16 }, tok.eosIds, tok.pad, new Rng('webgpu'));
  await trainGrpo({ model: gptPolicy(model), reference: gptLM(reference), prompts, cfg: { ...tinyGrpo, steps: 2, prompts_per_step: 2, group_size: 3, max_tokens: 12, ppo_epochs: 2, beta: 0.1 }, seed: 1, ckpt: join(dir, 'ckpt.safetensors'), logFile: join(dir, 'log.jsonl') });
  disposeModel(model);
  disposeModel(reference);
  return { tokens: sampled.map((s) => s.tokens), log: readJsonl<Record<string, number>>(join(dir, 'log.jsonl')) };
}

describe.skipIf(typeof gpu === 'string')(`GRPO on webgpu${typeof gpu === 'string' ? ` (skipped: ${gpu})` : ''}`, () => {
  it('samples the same tokens and logs the same GRPO losses, rewards and KL as on cpu', async () => {
    const cpu = await run('cpu');
    const webgpu = await run('webgpu');
    expect(webgpu.tokens).toEqual(cpu.tokens);
    expect(webgpu.log.length).toBe(2);
    for (let i = 0; i < cpu.log.length; i++) {
      for (const k of ['reward/total/mean', 'completion_len']) expect(webgpu.log[i][k], `${k} at step ${i}`).toBe(cpu.log[i][k]);
      for (const k of ['loss', 'kl', 'entropy', 'grad_norm']) expect(Math.abs(webgpu.log[i][k] - cpu.log[i][k]), `${k} at step ${i}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(cpu.log[i][k])));
    }
  }, 300_000);
});

import { beforeAll, describe, expect, it } from 'vitest';
import { disposeScalars } from '../../src/model/kernels/scalars.js';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/model/backend.js';
import { loadHfModel, type HfModel } from '../../src/model/hf-model.js';
import { attachLora, loadAdapter, LoraSettings, saveAdapter } from '../../src/model/lora.js';
import { saveHfModel } from '../../src/model/hf-save.js';
import { hfPolicy, type ChatCodec } from '../../src/model/policy.js';
import type { ChatMessage } from '../../src/model/tokenizer.js';
import { trainSft } from '../../src/train/sft.js';
import { trainGrpo } from '../../src/train/grpo.js';
import { tinyGrpo, tinySft } from '../fixtures/tiny-r1-stages.js';
import { readJsonl } from '../../src/util/fs.js';
import { maxRelErr as maxRel } from '../rel-err.js';

const QWEN2 = join(__dirname, '..', 'fixtures', 'hf', 'qwen2');

/** A stand-in for the model's tokenizer and chat template: printable characters as ids 32..126, ChatML markers. */
const codec: ChatCodec = {
  encodePrompt: (ms: readonly ChatMessage[]) => ms.flatMap((m) => [351, ...[...m.content].map((c) => c.charCodeAt(0)), 352]).concat([351]),
  encodeChat(ms: readonly ChatMessage[]) {
    return { prompt: this.encodePrompt(ms.slice(0, -1)), completion: [...[...ms[ms.length - 1].content].map((c) => c.charCodeAt(0)), 352] };
  },
  decode: (ids) => String.fromCharCode(...ids.filter((i) => i >= 32 && i < 127)),
  prefill: () => '',
  eosIds: [352, 350],
  pad: 350,
};
const conversations = ['1+2=3', '2+2=4', '3+4=7', '5+1=6'].map((t) => ({ messages: [{ role: 'user' as const, content: t.slice(0, 4) }, { role: 'assistant' as const, content: `<answer>${t.slice(4)}</answer>` }] }));
const ids = tf.tensor2d([[351, 49, 43, 50, 61, 352, 351, 60]], [1, 8], 'int32');
const logits = (m: HfModel) => tf.tidy(() => m.forward(ids).dataSync() as Float32Array);

beforeAll(async () => {
  process.env.REPRISE_QUIET = '1';
  await initBackend('wasm');
});

describe('SFT then GRPO on a Hugging Face checkpoint with LoRA', () => {
  it('trains only the adapters, resumes exactly, and saves an adapter and a merged checkpoint that reload with the same logits', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-hf-train-'));
    const m = await loadHfModel(QWEN2);
    attachLora(m, LoraSettings.parse({ r: 4, lora_alpha: 8, lora_dropout: 0.1, target_modules: 'all-linear' }), 1);
    const base = Array.from(m.weights.layers[0].q_proj.w.dataSync());
    disposeScalars(); // the kernels' kept scalars are made on first use
    const before = tf.memory().numTensors;
    const sft = { ...tinySft, steps: 6, batch_size: 4, lr: 5e-3, warmup_steps: 0, min_lr_ratio: 1, checkpoint_every: 3, log_every: 1 };
    await trainSft({ model: hfPolicy(m, codec), conversations, cfg: sft, seed: 1, ckpt: join(dir, 'sft.safetensors'), logFile: join(dir, 'sft.jsonl') });
    disposeScalars();
    expect(tf.memory().numTensors).toBe(before);
    const rows = readJsonl<{ loss: number }>(join(dir, 'sft.jsonl'));
    expect(rows[5].loss).toBeLessThan(rows[0].loss);
    expect(Array.from(m.weights.layers[0].q_proj.w.dataSync())).toEqual(base);

    // a second run stopped after step 3 (constant lr, so the schedule does not depend on steps) and resumed ends where the first did
    const m2 = await loadHfModel(QWEN2);
    attachLora(m2, LoraSettings.parse({ r: 4, lora_alpha: 8, lora_dropout: 0.1, target_modules: 'all-linear' }), 1);
    await trainSft({ model: hfPolicy(m2, codec), conversations, cfg: { ...sft, steps: 3 }, seed: 1, ckpt: join(dir, 'sft2.safetensors'), logFile: join(dir, 'sft2.jsonl') });
    await trainSft({ model: hfPolicy(m2, codec), conversations, cfg: sft, seed: 1, ckpt: join(dir, 'sft2.safetensors'), logFile: join(dir, 'sft2.jsonl') });
    expect(logits(m2)).toEqual(logits(m));
    m2.dispose();

    const prompts = conversations.map((c, i) => ({ id: String(i), messages: c.messages.slice(0, 1), answer: c.messages[1].content }));
    const grpo = { ...tinyGrpo, steps: 2, prompts_per_step: 2, group_size: 3, max_tokens: 6, lr: 1e-3, beta: 0.1, ppo_epochs: 2, rewards: [{ name: 'length', weight: 1 }] };
    await trainGrpo({ model: hfPolicy(m, codec), reference: m.base(), prompts, cfg: grpo, seed: 1, ckpt: join(dir, 'grpo.safetensors'), logFile: join(dir, 'grpo.jsonl') });
    const g = readJsonl<Record<string, number>>(join(dir, 'grpo.jsonl'));
    expect(g).toHaveLength(2);
    expect(g[0].kl).toBeGreaterThan(0);
    expect(Array.from(m.weights.layers[0].q_proj.w.dataSync())).toEqual(base);

    const trained = logits(m);
    await saveAdapter(m, join(dir, 'adapter'));
    await saveHfModel(m, join(dir, 'merged'));
    const viaAdapter = await loadHfModel(QWEN2);
    loadAdapter(viaAdapter, join(dir, 'adapter'));
    expect(logits(viaAdapter)).toEqual(trained);
    const merged = await loadHfModel(join(dir, 'merged'));
    expect(maxRel(logits(merged), trained)).toBeLessThan(1e-5);
    for (const x of [viaAdapter, merged, m]) x.dispose();
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/model/backend.js';
import { loadHfModel, type HfModel } from '../../src/model/hf-model.js';
import { loadAdapter, LoraSettings } from '../../src/model/lora.js';
import { hfGrpoStage, hfSftStage } from '../../src/train/hf-stages.js';
import { tinyGrpo, tinySft } from '../fixtures/tiny-r1-stages.js';
import { readJsonl } from '../../src/util/fs.js';
import { maxRelErr as maxRel } from '../rel-err.js';

const QWEN2 = join(__dirname, '..', 'fixtures', 'hf', 'qwen2');
const ids = tf.tensor2d([[351, 84, 82, 272, 198, 50, 347, 220, 17, 352, 198, 351, 309, 82, 263, 83, 292, 83, 198, 353, 198]], [1, 21], 'int32');
const logits = (m: HfModel) => tf.tidy(() => m.forward(ids).dataSync() as Float32Array);

beforeAll(async () => {
  process.env.REPRISE_QUIET = '1';
  await initBackend('wasm');
});

describe('a Hugging Face checkpoint fine-tuned by SFT then GRPO with LoRA', () => {
  it('writes after each stage a PEFT adapter and a merged checkpoint that reload with the same logits', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-hf-stages-'));
    const sums = [[2, 3], [4, 4], [1, 6], [5, 2]];
    writeFileSync(join(dir, 'sft.jsonl'), sums.map(([a, b]) => JSON.stringify({ messages: [{ role: 'user', content: `What is ${a} + ${b}?` }, { role: 'assistant', content: `<think>\n${a} + ${b} = ${a + b}\n</think>\n\n\\boxed{${a + b}}` }] })).join('\n'));
    writeFileSync(join(dir, 'rl.jsonl'), sums.map(([a, b], i) => JSON.stringify({ id: `p${i}`, messages: [{ role: 'user', content: `What is ${a} + ${b}?` }], answer: String(a + b) })).join('\n'));
    const lora = LoraSettings.parse({ r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj', 'o_proj', 'down_proj'] });
    const sft = await hfSftStage({ path: QWEN2, lora, backend: 'wasm' }, { ...tinySft, steps: 4, batch_size: 4, lr: 5e-3, warmup_steps: 0, log_every: 1 }, 1, join(dir, 'sft.jsonl'), join(dir, 'sft'));
    const rows = readJsonl<{ loss: number }>(join(dir, 'sft', 'log.jsonl'));
    expect(rows[3].loss).toBeLessThan(rows[0].loss);
    const grpoCfg = { ...tinyGrpo, steps: 2, prompts_per_step: 2, group_size: 3, lr: 1e-3, beta: 0.05, rewards: [{ name: 'repetition_penalty', weight: 1, params: { ngram_size: 1 } }], temperature: 1.5, max_tokens: 12 };
    const grpo = await hfGrpoStage({ path: sft.merged as string, lora, backend: 'wasm' }, grpoCfg, 1, join(dir, 'rl.jsonl'), join(dir, 'grpo'));
    const g = readJsonl<Record<string, number>>(join(dir, "grpo", "log.jsonl"));
    expect(g).toHaveLength(2);
    expect(g[1].kl).toBeGreaterThan(0);

    for (const [stage, base] of [[sft, QWEN2], [grpo, sft.merged as string]] as const) {
      const viaAdapter = await loadHfModel(base);
      loadAdapter(viaAdapter, stage.adapter as string);
      const merged = await loadHfModel(stage.merged as string);
      expect(maxRel(logits(merged), logits(viaAdapter))).toBeLessThan(1e-5);
      const plain = await loadHfModel(base);
      expect(maxRel(logits(viaAdapter), logits(plain))).toBeGreaterThan(1e-4);
      for (const m of [viaAdapter, merged, plain]) m.dispose();
    }
    expect(JSON.parse(readFileSync(join(grpo.adapter as string, 'adapter_config.json'), 'utf8')).base_model_name_or_path).toBe(sft.merged);
    expect(readFileSync(join(sft.merged as string, 'chat_template.jinja'), 'utf8')).toBe(readFileSync(join(QWEN2, 'chat_template.jinja'), 'utf8'));
  });
});

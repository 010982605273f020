import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/model/backend.js';
import { loadHfModel } from '../../src/model/hf-model.js';
import { attachLora, LoraSettings } from '../../src/model/lora.js';
import { hfPolicy, templateCodec } from '../../src/model/policy.js';
import { loadHfTokenizer } from '../../src/model/hf-tokenizer.js';
import { loadChatTemplate } from '../../src/model/chat-template.js';
import { trainGrpo } from '../../src/train/grpo.js';
import { tinyGrpo } from '../fixtures/tiny-r1-stages.js';
import { readJsonl } from '../../src/util/fs.js';

// qwen2's template (R1-distill style) ends the prompt with "<think>\n": GRPO's rewards must see it.
const QWEN2 = join(__dirname, '..', 'fixtures', 'hf', 'qwen2');

beforeAll(async () => {
  process.env.REPRISE_QUIET = '1';
  await initBackend('wasm');
});

describe('GRPO rewards on a template with a prefill', () => {
  it('score the generation prefix and the completion together (tag_count finds the prefilled <think>)', { timeout: 120_000 }, async () => {
    const tok = loadHfTokenizer(QWEN2);
    const codec = templateCodec(tok, loadChatTemplate(QWEN2, tok)!);
    const withoutPrefix = { ...codec, prefill: () => '' };
    const prompts = ['1+2', '2+2'].map((q, i) => ({ id: String(i), messages: [{ role: 'user' as const, content: q }], answer: '4' }));
    const cfg = { ...tinyGrpo, steps: 1, prompts_per_step: 2, group_size: 3, max_tokens: 6, lr: 1e-3, beta: 0, ppo_epochs: 1, rewards: [{ name: 'tag_count', weight: 1 }] };
    const run = async (c: typeof codec) => {
      const dir = mkdtempSync(join(tmpdir(), 'reprise-grpo-prefix-'));
      const m = await loadHfModel(QWEN2);
      attachLora(m, LoraSettings.parse({ r: 2, lora_alpha: 4, target_modules: 'all-linear' }), 1);
      await trainGrpo({ model: hfPolicy(m, c), reference: m.base(), prompts, cfg, seed: 1, ckpt: join(dir, 'grpo.safetensors'), logFile: join(dir, 'grpo.jsonl') });
      m.dispose();
      return readJsonl<Record<string, number>>(join(dir, 'grpo.jsonl'))[0]['reward/tag_count/mean'];
    };
    // same seed, same samples: only the text the reward sees differs
    const [withP, withoutP] = [await run(codec), await run(withoutPrefix)];
    expect(withP).toBeGreaterThan(withoutP);
  });
});

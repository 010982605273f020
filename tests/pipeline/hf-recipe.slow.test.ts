import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runRecipe } from '../../src/pipeline/run.js';

const root = resolve(__dirname, '../..');

describe('a recipe whose model is a Hugging Face checkpoint with LoRA', () => {
  it('runs SFT, GRPO and the evals, each stage writing a PEFT adapter and a merged checkpoint', { timeout: 600_000 }, async () => {
    process.env.REPRISE_QUIET = '1';
    const tmp = mkdtempSync(join(tmpdir(), 'reprise-hf-recipe-'));
    const summary = await runRecipe({ recipePath: 'tests/fixtures/tiny-hf-recipe.yaml', root, workDir: join(tmp, 'work'), reportsDir: join(tmp, 'reports') });
    expect(summary.models.map((m) => m.model)).toEqual(['base', 'sft', 'grpo']);
    for (const m of summary.models) expect(m.counts.samples).toBe(12);
    const stages = readdirSync(join(tmp, 'work', 'stages'));
    for (const kind of ['sft', 'grpo']) {
      const dir = join(tmp, 'work', 'stages', stages.find((s) => s.startsWith(`${kind}-`))!);
      for (const f of ['adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'model/config.json', 'model/model.safetensors', 'model/tokenizer.json', 'model/chat_template.jinja']) expect(existsSync(join(dir, f)), `${kind}/${f}`).toBe(true);
    }
    const base = summary.models.find((m) => m.model === 'base')!;
    const samples = readFileSync(join(tmp, 'reports', 'runs', summary.run_id, base.samples_file), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(samples.every((s: { completion: string }) => s.completion.startsWith('<think>\n'))).toBe(true);
  });
});

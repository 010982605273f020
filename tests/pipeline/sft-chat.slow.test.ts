// recipes/sft-chat/v1.yaml's chain at toy size, every part real: `reprise datagen` distils traces from our teacher
// server on loopback, `reprise run` trains SFT on that output (a tiny Hugging Face checkpoint with LoRA) and
// evaluates base and SFT on a toy GSM8K file through evals/gsm8k/default.yaml, with the paired test.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/eval/results.js';
import { additionPrompts, startTeacher, type Teacher } from '../fixtures/data/teacher-server.js';
import { cli } from '../cli-process.js';

const root = resolve(import.meta.dirname, '../..');

const TOY = [
  'model.path=tests/fixtures/hf/qwen2',
  'sft.steps=3',
  'sft.batch_size=2',
  'sft.warmup_steps=0',
  'eval.limit=3',
  'eval.batch_size=3',
  'eval.bootstrap_resamples=100',
];

describe('recipes/sft-chat/v1.yaml: distillation → SFT → GSM8K eval', () => {
  let base: string;
  let teacher: Teacher;
  let datagenRecipe: string;
  const run = (...more: string[]) => cli(['run', 'recipes/sft-chat/v1.yaml', '--work-dir', join(base, 'work'), '--reports', join(base, 'reports'), '--data-dir', join(base, 'data'), ...[...TOY, `sft.dataset.from_datagen=${datagenRecipe}`].flatMap((s) => ['--set', s]), ...more]);

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'reprise-sft-chat-'));
    teacher = await startTeacher({ hangMs: 200 });
    // datagen-distill-gsm8k/v1 in miniature: the same kind of dataset, our teacher, addition questions
    writeFileSync(join(base, 'prompts.jsonl'), additionPrompts(8).map((p) => JSON.stringify(p)).join('\n') + '\n');
    datagenRecipe = join(base, 'v1.yaml');
    writeFileSync(datagenRecipe, `name: distill-toy\nversion: 1\nout_dir: ${join(base, 'datasets')}\ndatasets:\n  - kind: distill\n    name: gsm8k-train\n    input: prompts.jsonl\n    columns: { prompt: question, answer: gold, id: qid }\n    endpoints: [{ base_url: "${teacher.url}", model: teacher, timeout_s: 1 }]\n    k: 4\n    sampling: { temperature: 0.6, top_p: 0.95, max_tokens: 64 }\n`);
    mkdirSync(join(base, 'data', 'gsm8k'), { recursive: true });
    writeFileSync(join(base, 'data', 'gsm8k', 'test.jsonl'), [[3, 4], [10, 20], [7, 8], [1, 1]].map(([a, b]) => JSON.stringify({ question: `What is ${a} plus ${b}?`, answer: `${a} + ${b} = ${a + b}\n#### ${a + b}` })).join('\n') + '\n');
  }, 60_000);
  afterAll(() => teacher?.close());

  it('refuses to train before the datagen recipe has been run, naming the command that builds its output', async () => {
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the output of ${datagenRecipe} has not been built: no ${join(base, 'datasets', 'gsm8k-train', 'train.jsonl')}`);
    expect(r.stderr).toContain(`run \`reprise datagen ${datagenRecipe}\``);
  }, 60_000);

  it('trains SFT on the distilled, verified traces and evaluates base and SFT on GSM8K with the paired test', async () => {
    const dg = await cli(['datagen', datagenRecipe]);
    expect(dg.code, dg.stderr).toBe(0);
    const distilled = readFileSync(join(base, 'datasets', 'gsm8k-train', 'train.jsonl'), 'utf8').trim().split('\n');
    expect(distilled.length).toBeGreaterThan(8);

    const r = await run();
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(base, 'reports', 'runs', 'sft-chat-v1-s1234', 'summary.json'), 'utf8')) as RunSummary;
    expect(Object.keys(s.provenance.stages!)).toEqual(['sft-data', 'init', 'sft', 'eval-base-gsm8k-default', 'eval-sft-gsm8k-default']);
    // SFT trained on exactly the distilled rows (their conversations), and on nothing else
    expect(s.datasets).toEqual([{ name: 'sft', path: expect.stringContaining('sft.jsonl'), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), rows: distilled.length }]);
    const trained = readFileSync(join(root, s.datasets[0].path), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { messages: unknown[] });
    expect(trained.map((t) => t.messages)).toEqual(distilled.map((l) => (JSON.parse(l) as { messages: { role: string; content: string }[] }).messages.map(({ role, content }) => ({ role, content }))));
    expect(s.models.map((m) => [m.model, m.bench, m.n_problems, m.n_samples])).toEqual([
      ['base', 'gsm8k/default', 3, 1],
      ['sft', 'gsm8k/default', 3, 1],
    ]);
    expect(s.paired).toEqual([expect.objectContaining({ a: 'base', b: 'sft', bench: 'gsm8k/default', n_problems: 3 })]);
    expect(s.curves).toEqual({ sft: 'curves/sft.jsonl' });
  }, 600_000);
});

// SFT's dataset sources: a datagen recipe's built output, and a benchmark's split through its eval spec's loader.

import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDatagen } from '../../datagen/build.js';
import { benchmarkConversations, datagenOutput, heldQuestions, keepShort, refuseHeld } from '../../src/pipeline/sft-data.js';
import { loadBench } from '../../src/data/bench-data.js';
import { loadSpec } from '../../src/config/eval-spec.js';
import { RepriseError } from '../../src/util/errors.js';

process.env.REPRISE_QUIET = '1';
const recipeFile = '/x/recipes/sft-chat/v9.yaml';

async function rejected(p: Promise<unknown>): Promise<RepriseError> {
  try {
    await p;
  } catch (e) {
    return e as RepriseError;
  }
  throw new Error('expected an error');
}

function gsm8kTrain(rows: Record<string, unknown>[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-sft-bench-'));
  mkdirSync(join(dir, 'gsm8k'));
  writeFileSync(join(dir, 'gsm8k', 'train.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return dir;
}

const ROWS = [
  { question: 'Tom has 3 apples and buys 4. How many?', answer: 'He has 3 + 4 = <<3+4=7>>7.\n#### 7', alt: 'How many apples?' },
  { question: 'What is 10 times 2?', answer: '10 * 2 = <<10*2=20>>20\n#### 20', alt: 'Ten twice?' },
];

describe('sft.dataset: a benchmark split through its eval spec', () => {
  it('makes one conversation per record: the spec\'s prompt as the user turn, the completion column as the reply', async () => {
    const src = await benchmarkConversations({ benchmark: 'gsm8k/train', completion_column: 'answer' }, recipeFile, gsm8kTrain(ROWS));
    expect(src.rows).toHaveLength(2);
    expect(src.rows![0].messages).toEqual([
      { role: 'user', content: 'Solve the following math problem step by step. Put your final answer within \\boxed{}.\n\nTom has 3 apples and buys 4. How many?' },
      { role: 'assistant', content: 'He has 3 + 4 = <<3+4=7>>7.\n#### 7' },
    ]);
    expect(src.file).toMatch(/gsm8k\/train\.jsonl$/);
    expect(src.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('takes open-r1\'s options: another prompt column, a system prompt, and a limit', async () => {
    const src = await benchmarkConversations({ benchmark: 'gsm8k/train', completion_column: 'answer', prompt_column: 'alt', system_prompt: 'Think first.', limit: 1 }, recipeFile, gsm8kTrain(ROWS));
    expect(src.rows!.map((r) => r.messages.map((m) => m.role))).toEqual([['system', 'user', 'assistant']]);
    expect(src.rows![0].messages[0].content).toBe('Think first.');
    expect(src.rows![0].messages[1].content).toMatch(/\n\nHow many apples\?$/);
  });

  it('asks for the completion column, naming the spec\'s fields', async () => {
    const e = await rejected(benchmarkConversations({ benchmark: 'gsm8k/train' }, recipeFile, gsm8kTrain(ROWS)));
    expect(e.code).toBe('E_INPUT');
    expect(e.message).toContain('sft.dataset.benchmark gsm8k/train needs completion_column');
    expect(e.message).toContain(recipeFile);
  });

  it('refuses a record without text in the completion column, naming its line', async () => {
    const e = await rejected(benchmarkConversations({ benchmark: 'gsm8k/train', completion_column: 'solution' }, recipeFile, gsm8kTrain(ROWS)));
    expect(e.message).toMatch(/train\.jsonl, line 1.*record 1 has no text in "solution"/s);
  });

  it('says where to put a missing file and how to fetch it (the product never reads ../shared)', async () => {
    const e = await rejected(benchmarkConversations({ benchmark: 'gsm8k/train', completion_column: 'answer' }, recipeFile, mkdtempSync(join(tmpdir(), 'empty-'))));
    expect(e.code).toBe('E_INPUT');
    expect(e.message).toContain('no data file for gsm8k: put gsm8k/train.jsonl');
    expect(e.message).toContain('reprise data fetch gsm8k');
  });

  const shared = resolve(import.meta.dirname, '../../../shared/benchmarks');
  const hasShared = existsSync(join(shared, 'gsm8k', 'train.jsonl'));
  it.skipIf(!hasShared)(`reads the real GSM8K train split${hasShared ? '' : ` — SKIPPED: ${shared}/gsm8k/train.jsonl is absent`}`, async () => {
    const src = await benchmarkConversations({ benchmark: 'gsm8k/train', completion_column: 'answer', limit: 3 }, recipeFile, shared);
    expect(src.rows).toHaveLength(3);
    expect(src.rows![0].messages[0].content).toContain('Natalia sold clips to 48 of her friends');
    expect(src.rows![0].messages[1].content).toMatch(/#### 72$/);
  });
});

describe('sft.dataset: the output of a datagen recipe', () => {
  function datagenTree(datasets: string[]) {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-from-datagen-'));
    mkdirSync(join(dir, 'recipes', 'datagen-toy'), { recursive: true });
    const recipe = join(dir, 'recipes', 'datagen-toy', 'v1.yaml');
    const ds = datasets.map((n) => `  - kind: synthetic\n    name: ${n}\n    family: tiny_r1_addition\n    seed: 1\n    splits:\n      train: { count: 12, digit_weights: [1, 1] }\n`).join('');
    writeFileSync(recipe, `name: datagen-toy\nversion: 1\ndatasets:\n${ds}`);
    return { dir, recipe, consumer: join(dir, 'recipes', 'sft-chat', 'v1.yaml') };
  }

  it('is refused until built, naming the command that builds it', async () => {
    const t = datagenTree(['add']);
    const e = await rejected(datagenOutput({ from_datagen: 'datagen-toy/v1' }, t.consumer, t.dir));
    expect(e.code).toBe('E_INPUT');
    expect(e.message).toContain(`the output of datagen-toy/v1 has not been built: no ${join(t.dir, '.reprise/datasets/datagen-toy/add/train.jsonl')}`);
    expect(e.message).toContain('run `reprise datagen recipes/datagen-toy/v1.yaml`');
  });

  it('once built, is the file its manifest describes; a file changed since is refused', async () => {
    const t = datagenTree(['add']);
    await buildDatagen(t.recipe, { outDir: join(t.dir, '.reprise/datasets/datagen-toy') });
    const src = await datagenOutput({ from_datagen: 'datagen-toy/v1' }, t.consumer, t.dir);
    expect(src.file).toBe(join(t.dir, '.reprise/datasets/datagen-toy/add/train.jsonl'));
    expect(readFileSync(src.file, 'utf8').trim().split('\n')).toHaveLength(12);
    appendFileSync(src.file, '{"messages": []}\n');
    const e = await rejected(datagenOutput({ from_datagen: 'datagen-toy/v1' }, t.consumer, t.dir));
    expect(e.message).toContain('differs from its manifest (changed since it was built)');
  });

  it('asks which dataset when the recipe builds several', async () => {
    const t = datagenTree(['a', 'b']);
    const e = await rejected(datagenOutput({ from_datagen: 'datagen-toy/v1' }, t.consumer, t.dir));
    expect(e.message).toContain('datagen-toy/v1 builds 2 datasets; name one with sft.dataset.dataset: a, b');
    const e2 = await rejected(datagenOutput({ from_datagen: 'datagen-toy/v1', dataset: 'c' }, t.consumer, t.dir));
    expect(e2.message).toContain('datagen-toy/v1 has no dataset "c"; it builds: a, b');
  });
});

describe('SFT data against the benchmarks a recipe evaluates', () => {
  it('refuses a conversation that asks a question of an evaluated benchmark, naming it and the line', async () => {
    const data = gsm8kTrain(ROWS);
    const src = await benchmarkConversations({ benchmark: 'gsm8k/train', completion_column: 'answer' }, recipeFile, data);
    const file = join(data, 'sft.jsonl');
    writeFileSync(file, src.rows!.map((r) => JSON.stringify(r)).join('\n') + '\n');
    // the same file read as the test split: its questions are "held"
    const test = await loadBench({ ...loadSpec('gsm8k/train').spec, dataset: { ...loadSpec('gsm8k/train').spec.dataset, local: 'gsm8k/train' } }, { dataDir: data, limit: 2 });
    expect(() => refuseHeld(file, heldQuestions(new Map([['gsm8k/default', { ...test, problems: test.problems.slice(1) }]])), recipeFile)).toThrow(/SFT conversation 2 asks a question of benchmark gsm8k\/default, which the recipe evaluates/);
    expect(() => refuseHeld(file, heldQuestions(new Map()), recipeFile)).not.toThrow();
  });
});

describe('sft.dataset.max_tokens', () => {
  it('leaves out the conversations longer than the limit as the counter counts them, and says how many', async () => {
    const rows = ['short', 'a much longer reply than the other one, with many more words in it'].map((a) => ({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: a }] }));
    const { modelCounter } = await import('../../src/train/token-counter.js');
    const counter = await modelCounter('tests/fixtures/hf/qwen2');
    const limit = counter.count({ messages: rows[0].messages }).all;
    expect(await keepShort(rows, limit, counter)).toEqual({ rows: [rows[0]], dropped: 1 });
    expect(await keepShort(rows, undefined, counter)).toEqual({ rows, dropped: 0 });
  });
});

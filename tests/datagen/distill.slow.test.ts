import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildDatagen } from '../../datagen/build.js';
import { makeVerifier } from '../../datagen/distill/verify.js';
import type { DatasetManifest } from '../../src/data/manifest.js';
import { cli } from '../cli-process.js';
import { additionPrompts, startTeacher, type Teacher } from '../fixtures/data/teacher-server.js';

const root = resolve(__dirname, '../..');
const gsm8k = resolve(root, '../shared/benchmarks/gsm8k/test.jsonl');
process.env.REPRISE_QUIET = '1';

function setup(teacher: Teacher, count: number, extra: string[] = [], opts: { concurrency?: number; head?: string; tail?: string } = {}): { dir: string; recipe: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'distill-'));
  const rows = [...additionPrompts(count).map((r) => JSON.stringify(r)), ...extra];
  writeFileSync(join(dir, 'prompts.jsonl'), rows.join('\n') + '\n');
  const recipe = join(dir, 'v1.yaml');
  writeFileSync(
    recipe,
    `name: distill-test\nversion: 1\n${opts.head ?? ''}datasets:\n  - kind: distill\n    name: add\n    input: prompts.jsonl\n    columns: { prompt: question, answer: gold, id: qid, source: level }\n` +
      `    endpoints: [{ base_url: "${teacher.url}", model: teacher, timeout_s: 0.5 }]\n    k: 3\n    verifier: math\n    concurrency: ${opts.concurrency ?? 8}\n    max_retries: 2\n${opts.tail ?? ''}`,
  );
  return { dir, recipe, out: join(dir, 'out') };
}

const rowsOf = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; answer: string; messages: { role: string; content: string }[]; meta: { prompt_id: string } });

describe('distillation against a teacher endpoint', () => {
  let teacher: Teacher;
  beforeAll(async () => {
    teacher = await startTeacher({ hangMs: 1500 });
  });
  afterAll(async () => teacher.close());

  it('keeps only rows that verify against their gold, and reports keep-rates, failures and usage', async () => {
    const { recipe, out } = setup(teacher, 20, [JSON.stringify({ qid: 'bad', question: 'What is 1 plus 1? ALWAYS500', gold: 2, level: 'easy' })], { tail: '    max_error_rate: 0.05\n' });
    const r = await buildDatagen(recipe, { outDir: out });
    const m = r.built.add;
    const rows = rowsOf(join(out, 'add', 'train.jsonl'));
    const verify = makeVerifier('math');
    for (const row of rows) {
      const assistant = row.messages.at(-1)!.content;
      expect(assistant).toMatch(/^<think>\n[\s\S]+\n<\/think>\n/);
      expect(verify(row.answer, assistant.split('</think>')[1])).toBe(true);
    }
    // 3 choices: one wrong, and on prompts whose sum is even the second repeats the first
    const expected = additionPrompts(20).reduce((a, p) => a + (p.gold % 2 === 0 ? 1 : 2), 0);
    expect(rows.length).toBe(expected);
    expect(new Set(rows.map((x) => x.id)).size).toBe(rows.length);
    const stats = m.stats as { by_source: Record<string, { keep_rate: number; prompts: number }>; failures: Record<string, number>; failed_prompts: { id: string }[]; usage: { completion_tokens: number } };
    expect(stats.by_source.easy.keep_rate).toBeCloseTo(2 / 3);
    expect(stats.by_source.hard.keep_rate).toBeCloseTo(2 / 3);
    expect(stats.failures.http_5xx).toBeGreaterThanOrEqual(4 + 3);
    expect(stats.failures.timeouts).toBe(4);
    expect(stats.failed_prompts.map((f) => f.id)).toEqual(['bad']);
    expect(m.counts).toMatchObject({ prompts: 21, done: 20, failed: 1, rows: expected });
    expect(stats.usage.completion_tokens).toBe(20 * 60);
  }, 30_000);

  it('fails when a prompt fails after retries (default max_error_rate 0), saying how many and why, and writes no dataset', async () => {
    const { recipe, out } = setup(teacher, 3, [JSON.stringify({ qid: 'bad', question: 'What is 1 plus 1? ALWAYS500', gold: 2, level: 'easy' })]);
    await expect(buildDatagen(recipe, { outDir: out })).rejects.toThrow(/^distill add: 1 of 4 prompts failed after retries \(25\.0%, more than max_error_rate 0\); no dataset written:\n {4}1 × chat request failed after 3 attempt\(s\): .*500/);
    expect(existsSync(join(out, 'add', 'train.jsonl'))).toBe(false);
    expect(existsSync(join(out, 'add', 'manifest.json'))).toBe(false);
    // the finished prompts are kept for the rerun
    expect(readFileSync(join(out, 'add', 'records.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  }, 30_000);

  it('fails whatever the threshold when every prompt failed', async () => {
    const { recipe, out } = setup(teacher, 0, [1, 2].map((i) => JSON.stringify({ qid: `bad${i}`, question: `What is ${i} plus 1? ALWAYS500`, gold: i + 1, level: 'easy' })), { tail: '    max_error_rate: 1\n' });
    await expect(buildDatagen(recipe, { outDir: out })).rejects.toThrow(/2 of 2 prompts failed after retries \(100\.0%, no prompt succeeded\)/);
    expect(existsSync(join(out, 'add', 'train.jsonl'))).toBe(false);
  }, 30_000);

  it.skipIf(!existsSync(gsm8k))('drops a planted GSM8K test question before asking the teacher, and reports it', async () => {
    const question = (JSON.parse(readFileSync(gsm8k, 'utf8').split('\n')[3]) as { question: string }).question;
    const head = `decontaminate:\n  benchmarks: [{ bench: gsm8k, path: "${gsm8k}", field: question }]\n`;
    const { recipe, out } = setup(teacher, 4, [JSON.stringify({ qid: 'planted', question, gold: 1, level: 'easy' })], { head });
    const m = (await buildDatagen(recipe, { outDir: out })).built.add;
    expect(m.stats?.decontamination).toMatchObject({ ngram: 8, checked: 5, dropped: 1, per_benchmark: { gsm8k: 1 }, examples: [{ id: 'planted', benchmarks: ['gsm8k'] }] });
    expect(m.counts).toMatchObject({ prompts: 4, done: 4 });
  }, 30_000);

  it('yields each prompt\'s rows exactly once after a SIGKILL mid-run and a rerun', async () => {
    const slow = await startTeacher({ delayMs: 60, hangMs: 1500 });
    try {
      const count = 40;
      const { recipe, out } = setup(slow, count, [], { concurrency: 4 });
      const log = join(out, 'add', 'records.jsonl');
      const datagen = (opts: { killWhen?: () => boolean } = {}) => cli([recipe, '--out-dir', out], { script: 'tests/fixtures/data/datagen-cli.ts', ...opts });
      await datagen({ killWhen: () => existsSync(log) && readFileSync(log, 'utf8').split('\n').length > 10 });
      const before = readFileSync(log, 'utf8').trim().split('\n').length;
      expect(before).toBeLessThan(count);
      appendFileSync(log, '{"prompt_id":"q39","index":39,"rows":[{"id":"q5'); // a torn last line, as a crash mid-append leaves
      expect((await datagen()).code).toBe(0);
      const records = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt_id: string });
      expect(records.length).toBe(count);
      expect(new Set(records.map((x) => x.prompt_id)).size).toBe(count);
      const rows = rowsOf(join(out, 'add', 'train.jsonl'));
      expect(new Set(rows.map((x) => x.id)).size).toBe(rows.length);
      for (const p of additionPrompts(count)) expect(rows.filter((x) => x.meta.prompt_id === p.qid).length).toBe(p.gold % 2 === 0 ? 1 : 2);
      const m = JSON.parse(readFileSync(join(out, 'add', 'manifest.json'), 'utf8')) as DatasetManifest;
      expect(m.counts).toMatchObject({ prompts: count, done: count, failed: 0 });
    } finally {
      await slow.close();
    }
  }, 60_000);
});

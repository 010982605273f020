// `reprise datagen` as a subprocess: against a teacher that fails every prompt (exit 2, the count and the reason on
// stderr, and no dataset); and reading a `benchmark:` dataset from --data-dir or $REPRISE_DATA_DIR.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli-process.js';
import { startTeacher, type Teacher } from '../fixtures/data/teacher-server.js';

let teacher: Teacher;
beforeAll(async () => {
  teacher = await startTeacher();
});
afterAll(() => teacher.close());

describe('reprise datagen when every prompt fails', () => {
  it('exits 2 saying how many prompts failed and why, and writes no train.jsonl or manifest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'distill-cli-'));
    writeFileSync(join(dir, 'prompts.jsonl'), [1, 2, 3].map((i) => JSON.stringify({ qid: `q${i}`, question: `What is ${i} plus 1? ALWAYS500`, gold: i + 1 })).join('\n') + '\n');
    writeFileSync(join(dir, 'v1.yaml'), `name: distill-cli\nversion: 1\ndatasets:\n  - kind: distill\n    name: add\n    input: prompts.jsonl\n    columns: { prompt: question, answer: gold, id: qid }\n    endpoints: [{ base_url: "${teacher.url}", model: teacher }]\n    max_retries: 0\n`);
    const out = join(dir, 'out');
    const r = await cli(['datagen', join(dir, 'v1.yaml'), '--out-dir', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/reprise: error \[E_FAILURES\]: distill add: 3 of 3 prompts failed after retries \(100\.0%, no prompt succeeded\); no dataset written:\n {4}3 × chat request failed after 1 attempt\(s\): .*500/);
    expect(r.stdout).toBe('');
    expect(existsSync(join(out, 'add', 'train.jsonl'))).toBe(false);
    expect(existsSync(join(out, 'add', 'manifest.json'))).toBe(false);
  }, 120_000);
});

describe('reprise datagen --data-dir', () => {
  const recipe = (dir: string) => {
    writeFileSync(join(dir, 'v1.yaml'), `name: distill-data-dir\nversion: 1\ndatasets:\n  - kind: distill\n    name: gsm\n    benchmark: gsm8k/train\n    columns: { prompt: question, answer: answer }\n    endpoints: [{ base_url: "${teacher.url}", model: teacher }]\n    k: 1\n    verifier: gsm8k\n    max_retries: 0\n`);
    return join(dir, 'v1.yaml');
  };

  it('reads a benchmark: dataset\'s rows from the directory it names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'distill-cli-'));
    mkdirSync(join(dir, 'data', 'gsm8k'), { recursive: true });
    writeFileSync(join(dir, 'data', 'gsm8k', 'train.jsonl'), [[10, 3], [13, 4]].map(([a, b]) => JSON.stringify({ question: `What is ${a} plus ${b}?`, answer: `#### ${a + b}` })).join('\n') + '\n');
    const r = await cli(['datagen', recipe(dir), '--out-dir', join(dir, 'out'), '--data-dir', join(dir, 'data')]);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(dir, 'out', 'gsm', 'manifest.json'), 'utf8')) as { params: { benchmark: { spec: string; file: string } }; counts: { rows: number } };
    expect(m.params.benchmark).toMatchObject({ spec: 'gsm8k/train', file: 'gsm8k/train.jsonl' });
    expect(m.counts.rows).toBe(2);
  }, 120_000);

  it('takes $REPRISE_DATA_DIR without the flag, and exits 2 naming the missing file and the fetch command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'distill-cli-'));
    const r = await cli(['datagen', recipe(dir), '--out-dir', join(dir, 'out')], { env: { REPRISE_DATA_DIR: join(dir, 'empty') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`reprise: error [E_INPUT]: ${join(dir, 'empty', 'gsm8k', 'train.jsonl')}: no data file for gsm8k: put gsm8k/train.jsonl or`);
    expect(r.stderr).toContain('reprise data fetch gsm8k/train`');
  }, 120_000);
});

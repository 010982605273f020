// `reprise datagen` as a subprocess against a teacher that fails every prompt: exit 2, the count and the reason on
// stderr, and no dataset.

import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
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

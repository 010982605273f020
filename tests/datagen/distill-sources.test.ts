// A distill dataset's prompts from an eval spec's data file (`benchmark:`) and decontamination against eval specs
// (`decontaminate.specs`), both read from a data directory each test makes; the refusals when the prompts are
// named twice or not at all, or the file is missing. The teacher is our server on loopback, answering at once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDatagen } from '../../datagen/build.js';
import type { RepriseError } from '../../src/util/errors.js';
import { sha256 } from '../../src/util/hash.js';
import { startTeacher, type Teacher } from '../fixtures/data/teacher-server.js';

process.env.REPRISE_QUIET = '1';

// A teacher's first attempt fails on A % 5 of 1 or 2 (tests/fixtures/data/teacher-server.ts); these never do.
const SUMS: [number, number][] = [[10, 3], [13, 4], [14, 7], [15, 5], [18, 1], [19, 2]];
const gsmRow = ([a, b]: [number, number], lead = '') => ({ question: `${lead}What is ${a} plus ${b}?`, answer: `${a} + ${b} = ${a + b}\n#### ${a + b}` });
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

let teacher: Teacher;
beforeAll(async () => {
  teacher = await startTeacher();
});
afterAll(() => teacher.close());

function setup(opts: { source?: string; head?: string; data?: Record<string, unknown[]> }) {
  const dir = mkdtempSync(join(tmpdir(), 'distill-src-'));
  const data = join(dir, 'data');
  for (const [file, rows] of Object.entries(opts.data ?? {})) {
    mkdirSync(join(data, file, '..'), { recursive: true });
    writeFileSync(join(data, file), jsonl(rows));
  }
  const recipe = join(dir, 'v1.yaml');
  writeFileSync(
    recipe,
    `name: distill-sources\nversion: 1\n${opts.head ?? ''}datasets:\n  - kind: distill\n    name: gsm\n${opts.source ?? '    benchmark: gsm8k/train\n'}` +
      `    columns: { prompt: question, answer: answer }\n    endpoints: [{ base_url: "${teacher.url}", model: teacher, timeout_s: 5 }]\n    k: 3\n    verifier: gsm8k\n    max_retries: 0\n`,
  );
  return { dir, data, recipe, out: join(dir, 'out') };
}

async function rejected(p: Promise<unknown>): Promise<RepriseError> {
  try {
    await p;
  } catch (e) {
    return e as RepriseError;
  }
  throw new Error('expected a rejection');
}

describe('distill prompts from an eval spec in the data directory', () => {
  it('distills the rows of gsm8k/train found in the data directory, and the manifest names the spec and the file\'s sha256', async () => {
    const t = setup({ data: { 'gsm8k/train.jsonl': SUMS.map((s) => gsmRow(s)) } });
    const m = (await buildDatagen(t.recipe, { outDir: t.out, dataDir: t.data })).built.gsm;
    // choices: 0 right, 1 right (a duplicate of 0 on even sums), 2 wrong
    expect(m.counts).toMatchObject({ prompts: 6, done: 6, failed: 0, rows: SUMS.reduce((n, [a, b]) => n + ((a + b) % 2 ? 2 : 1), 0) });
    expect(m.params.benchmark).toEqual({ spec: 'gsm8k/train', file: 'gsm8k/train.jsonl', sha256: sha256(readFileSync(join(t.data, 'gsm8k/train.jsonl'), 'utf8')) });
    expect(m.params.input).toBeUndefined();
    const first = JSON.parse(readFileSync(join(t.out, 'gsm', 'train.jsonl'), 'utf8').split('\n')[0]) as { answer: string; messages: { content: string }[] };
    expect(first.messages[0].content).toBe('What is 10 plus 3?');
    expect(first.answer).toBe('10 + 3 = 13\n#### 13');
  });

  it('refuses a dataset naming both input and benchmark, with the file, line and field', async () => {
    const t = setup({ source: '    input: prompts.jsonl\n    benchmark: gsm8k/train\n' });
    await expect(buildDatagen(t.recipe, { outDir: t.out, dataDir: t.data })).rejects.toThrow(/v1\.yaml, line 7, field "datasets\.0\.benchmark": name the prompts once: input \(a file\) or benchmark \(an eval spec\), not both/);
  });

  it('refuses a dataset naming neither, with the file, the dataset\'s line and the field', async () => {
    const t = setup({ source: '' });
    await expect(buildDatagen(t.recipe, { outDir: t.out, dataDir: t.data })).rejects.toThrow(/v1\.yaml, line 4, field "datasets\.0\.input": a distill dataset needs its prompts: input \(a file\) or benchmark \(an eval spec such as gsm8k\/train\)/);
  });

  it('refuses an unknown eval spec at its line, with a suggestion', async () => {
    const t = setup({ source: '    benchmark: gsm8k/trian\n' });
    await expect(buildDatagen(t.recipe, { outDir: t.out, dataDir: t.data })).rejects.toThrow(/line 6, field "datasets\.0\.benchmark": unknown eval spec "gsm8k\/trian"[\s\S]*did you mean "gsm8k\/train"/);
  });

  it('says where to put a missing data file and which fetch command makes it, before asking the teacher anything', async () => {
    const t = setup({});
    const before = teacher.requests;
    const e = await rejected(buildDatagen(t.recipe, { outDir: t.out, dataDir: t.data }));
    expect(e.code).toBe('E_INPUT');
    expect(e.message).toContain(`${join(t.data, 'gsm8k/train.jsonl')}: no data file for gsm8k: put gsm8k/train.jsonl or`);
    expect(e.message).toContain('reprise data fetch gsm8k/train`');
    expect(teacher.requests).toBe(before);
  });
});

describe('decontamination against eval specs in the data directory', () => {
  const planted = 'Tom flies his red kite high above the park every Sunday morning.';
  const problem = 'Compute the number of ways to tile a long narrow hallway with square and domino tiles.';

  it('drops the prompts sharing an 8-gram with a spec\'s problems (each spec\'s own problem field), before asking the teacher', async () => {
    const rows = [...SUMS.slice(0, 4).map((s) => gsmRow(s)), gsmRow(SUMS[4], `${planted} `), gsmRow(SUMS[5], `First: compute the number of ways to tile a long narrow hallway. `)];
    const t = setup({
      head: 'decontaminate:\n  specs: [gsm8k/default, math500]\n',
      data: {
        'gsm8k/train.jsonl': rows,
        'gsm8k/test.jsonl': [{ question: `Every day, ${planted.toLowerCase()}`, answer: '#### 1' }],
        'math500/test.jsonl': [{ unique_id: 'a/1.json', problem, answer: '5' }],
      },
    });
    const before = teacher.requests;
    const m = (await buildDatagen(t.recipe, { outDir: t.out, dataDir: t.data })).built.gsm;
    expect(m.stats?.decontamination).toMatchObject({ ngram: 8, checked: 6, dropped: 2, per_benchmark: { 'gsm8k/default': 1, 'math500/default': 1 }, examples: [{ id: '4', benchmarks: ['gsm8k/default'] }, { id: '5', benchmarks: ['math500/default'] }] });
    expect(m.counts).toMatchObject({ prompts: 4, done: 4 });
    expect(teacher.requests - before).toBe(4);
  });

  it('says where to put a spec\'s missing data file and which fetch command makes it', async () => {
    const t = setup({ head: 'decontaminate:\n  specs: [math500/default]\n', data: { 'gsm8k/train.jsonl': [gsmRow(SUMS[0])] } });
    const e = await rejected(buildDatagen(t.recipe, { outDir: t.out, dataDir: t.data }));
    expect(e.code).toBe('E_INPUT');
    expect(e.message).toContain(`${join(t.data, 'math500/test.jsonl')}: no data file for math500: put math500/test.jsonl or`);
    expect(e.message).toContain('reprise data fetch math500/default`');
  });

  it('refuses an unknown spec in decontaminate.specs at its line', async () => {
    const t = setup({ head: 'decontaminate:\n  specs:\n    - gsm8k/default\n    - math5000\n' });
    await expect(buildDatagen(t.recipe, { outDir: t.out, dataDir: t.data })).rejects.toThrow(/line 6, field "decontaminate\.specs\.1": unknown eval spec "math5000\/default"/);
  });
});

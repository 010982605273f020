import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDatagenRecipe, type DistillSpec } from '../../src/config/datagen-spec.js';
import { benchmarkIndex, loadAndCheck } from '../../datagen/build.js';
import { readPrompts } from '../../datagen/distill/run.js';
import { makeVerifier } from '../../datagen/distill/verify.js';
import { parseCountdownGold } from '../../datagen/countdown/expr.js';

const root = resolve(__dirname, '../..');
const shared = resolve(root, '../shared/benchmarks');
const synth = (extra = '', params = '') => `name: t\nversion: 1\ndatasets:\n  - kind: synthetic\n    name: cd\n    family: countdown\n    seed: 1\n${params}    splits:\n      train: { count: 5, digit_weights: [1] }\n${extra}`;

function load(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'spec-'));
  writeFileSync(join(dir, 'v1.yaml'), text);
  return () => loadAndCheck(join(dir, 'v1.yaml'));
}

describe('datagen recipe schema', () => {
  it('accepts every shipped datagen recipe', () => {
    for (const r of ['tiny-r1/v1', 'countdown/v1', 'multiplication/v1', 'distill-gsm8k/v1', 'distill-gsm8k/v2']) expect(loadAndCheck(join(root, `recipes/datagen-${r}.yaml`)).datasets.length).toBe(1);
  });

  it('distill-gsm8k v2 is v1 with its prompts and benchmarks named by eval spec', () => {
    const [v1, v2] = [1, 2].map((v) => loadAndCheck(join(root, `recipes/datagen-distill-gsm8k/v${v}.yaml`)));
    const [d1, d2] = [v1.datasets[0], v2.datasets[0]];
    expect(d1).toMatchObject({ input: '../../../shared/benchmarks/gsm8k/train.jsonl' });
    expect(d2).toMatchObject({ benchmark: 'gsm8k/train' });
    expect({ ...d2, benchmark: undefined }).toEqual({ ...d1, input: undefined });
    expect(v2.decontaminate).toEqual({ ngram: 8, specs: ['math500/default', 'gsm8k/default', 'aime24/default', 'aime25/default', 'humaneval/default', 'mbpp/default'] });
    expect({ ...v2, version: 1, decontaminate: undefined, datasets: [] }).toEqual({ ...v1, decontaminate: undefined, datasets: [] });
  });

  it.skipIf(!existsSync(shared))('distill-gsm8k v2 decontaminates against the same problems as v1 when the data directory is ../shared/benchmarks', async () => {
    const [v1, v2] = [1, 2].map((v) => join(root, `recipes/datagen-distill-gsm8k/v${v}.yaml`));
    const i1 = await benchmarkIndex(loadAndCheck(v1), v1, { benchmarksDir: shared });
    const i2 = await benchmarkIndex(loadAndCheck(v2), v2, { dataDir: shared });
    expect(Object.fromEntries(Object.entries(i2!.problems).map(([id, n]) => [id.split('/')[0], n]))).toEqual(i1!.problems);
    const q = (JSON.parse(readFileSync(join(shared, 'gsm8k/test.jsonl'), 'utf8').split('\n')[5]) as { question: string }).question;
    expect(i2!.match(q)).toEqual(['gsm8k/default']);
  }, 30_000);

  it('rejects an unknown key in a dataset, naming the line and the keys allowed for its kind', () => {
    expect(load(synth('    sead: 2\n'))).toThrow(/v1\.yaml, line 10, field "datasets\.0\.sead": unknown key "sead"; allowed keys here: kind, name, family, seed, splits, params/);
    expect(() => parseDatagenRecipe('name: t\nversion: 1\ndatasets:\n  - kind: distill\n    name: d\n    input: x.jsonl\n    colums: {}\n', 'r.yaml')).toThrow(/unknown key "colums"; allowed keys here: kind, name, input, benchmark, columns, limit/);
  });

  it('rejects an unknown family with a suggestion, and a parameter the family does not have', () => {
    expect(load(synth().replace('family: countdown', 'family: countdwn'))).toThrow(/field "datasets\.0\.family": unknown dataset family "countdwn"[\s\S]*did you mean "countdown"/);
    expect(load(synth('', '    params: { max_targt: 5 }\n'))).toThrow(/family countdown has no parameter "max_targt"; allowed: count_weights, min_target, max_target/);
  });

  it('rejects an unknown kind and lists the kinds', () => {
    expect(() => parseDatagenRecipe('name: t\nversion: 1\ndatasets:\n  - kind: scrape\n    name: d\n', 'r.yaml')).toThrow(/r\.yaml, line 4, field "datasets\.0\.kind": .*'synthetic' \| 'distill'/);
  });

  it.skipIf(!existsSync(shared))('reads prompts from parquet with nested column names, and the countdown verifier takes its gold', async () => {
    const spec = { name: 'cd', input: 'x', columns: { prompt: 'prompt.0.content', answer: ['nums', 'target'], id: 'extra_info.index' }, prompt_template: '{prompt}', limit: 3 } as unknown as DistillSpec;
    const ps = await readPrompts(spec, join(shared, 'countdown/test.parquet'));
    expect(ps.map((p) => p.id)).toEqual(['0', '1', '2']);
    expect(ps[0].prompt).toContain('Using the numbers [30, 71, 88, 2], create an equation that equals 45');
    expect(parseCountdownGold(ps[0].gold)).toEqual({ nums: [30, 71, 88, 2], target: 45 });
    const verify = makeVerifier('countdown');
    expect(verify(ps[0].gold, '<answer>(88 - 71 + 30) - 2</answer>')).toBe(true);
    expect(verify(ps[0].gold, '<answer>88 - 71 + 30</answer>')).toBe(false);
  });

  it('names the file, line and column when a prompt column is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spec-'));
    writeFileSync(join(dir, 'p.jsonl'), '{"question": "q", "answer": "1"}\n{"q": "x", "answer": "2"}\n');
    const spec = { name: 'd', input: 'p.jsonl', columns: { prompt: 'question', answer: 'answer' }, prompt_template: '{prompt}' } as unknown as DistillSpec;
    await expect(readPrompts(spec, join(dir, 'p.jsonl'))).rejects.toThrow(/p\.jsonl, line 2, field "columns\.prompt": column "question" is missing[\s\S]*columns in this row: q, answer/);
  });
});

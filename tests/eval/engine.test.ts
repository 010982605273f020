import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/config/eval-spec.js';
import { loadBench } from '../../src/data/bench-data.js';
import { runEval } from '../../src/eval/engine.js';
import { endpointSource } from '../../src/eval/source.js';
import { compareEvalDirs } from '../../src/eval/eval-results.js';
import { startFake, type FakeServer } from '../fixtures/fake-openai.js';

process.env.REPRISE_QUIET = '1';
const dir = mkdtempSync(join(tmpdir(), 'reprise-engine-'));
const evals = join(dir, 'evals');
const data = join(dir, 'data');
// 10 problems "k+k?"; gold 2k. The fake answers right for even k, wrong (in the lenient-only form) for k % 4 == 1.
mkdirSync(join(evals, 'toy'), { recursive: true });
writeFileSync(join(evals, 'toy', 'default.yaml'), `name: toy
version: 1
dataset: { split: test, local: toy/test, fields: { id: id, problem: q, answer: a } }
prompt: { user: "What is {problem}" }
scoring: { preset: math, primary: lenient }
sampling: { temperature: 0.6, top_p: 0.95, max_tokens: 64, n: 4 }
metrics: { pass_k: [1, 2, 4], maj_k: [4], bootstrap_resamples: 200 }
`);
mkdirSync(join(data, 'toy'), { recursive: true });
writeFileSync(join(data, 'toy', 'test.jsonl'), Array.from({ length: 10 }, (_, k) => JSON.stringify({ id: `p${k}`, q: `${k}+${k}?`, a: String(2 * k) })).join('\n') + '\n');

const answer = (body: Record<string, unknown>) => {
  const m = /What is (\d+)\+/.exec(JSON.stringify(body.messages))!;
  const k = Number(m[1]);
  return k % 2 === 0 ? `<think>easy</think>The answer is \\boxed{${2 * k}}.` : k % 4 === 1 ? `so ${2 * k}` : 'I give up, 7';
};
let fake: FakeServer;
beforeAll(async () => {
  // about a third of first attempts fail, one fault of each kind in turn
  const faults = ['500', '429', 'hang', 'drop', 'malformed'] as const;
  fake = await startFake({ answer, fault: (_b, i) => (i % 3 === 0 ? faults[(i / 3) % faults.length] : 'ok') });
});
afterAll(() => fake.close());

async function run(out: string, opts: { n?: number; concurrency?: number } = {}) {
  const spec = loadSpec('toy', evals);
  const bench = await loadBench(spec.spec, { dataDir: data });
  const source = endpointSource([{ base_url: fake.url, model: 'fake', timeout_s: 0.5 }], { concurrency: opts.concurrency ?? 8, base_delay_ms: 1, max_delay_ms: 5 });
  return runEval({ spec, problems: bench.problems, data: bench, source, outDir: out, concurrency: opts.concurrency ?? 8, n: opts.n });
}

describe('runEval against a fault-injecting endpoint', () => {
  it('completes with the right scores and counts the failures', async () => {
    const out = join(dir, 'faulty');
    const r = await run(out);
    // even k (5 of 10) right in both modes; k = 1, 5, 9 right only leniently ("so 2k" is a last number)
    expect(r.lenient['avg@4'].value).toBeCloseTo(0.8);
    expect(r.strict['avg@4'].value).toBeCloseTo(0.5);
    expect(r.lenient['pass@4'].value).toBeCloseTo(0.8);
    expect(r.lenient['maj@4'].value).toBeCloseTo(0.8);
    expect(r.metrics).toEqual(r.lenient);
    const f = r.counts.endpoint;
    expect(f.http_5xx + f.http_429 + f.timeouts + f.resets + f.malformed).toBe(f.retries);
    expect(f.retries).toBeGreaterThan(5);
    for (const k of ['http_5xx', 'http_429', 'timeouts', 'resets', 'malformed'] as const) expect(f[k]).toBeGreaterThan(0);
    expect(f.failed).toBe(0);
    expect(r.counts).toMatchObject({ samples: 40, errors: 0, nulls_strict: 20 });
    const lines = readFileSync(join(out, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(40);
    expect(lines.find((l) => l.problem_id === 'p0').reasoning).toBe('easy');
  });

  it('resumes a file with a torn line, a failed record and a duplicate into one record per sample', async () => {
    const out = join(dir, 'resume');
    await run(out);
    const file = join(out, 'samples.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const kept = lines.slice(0, 25);
    const failed = { ...JSON.parse(lines[25]), error: 'gave up', correct: false };
    writeFileSync(file, [...kept, kept[3], JSON.stringify(failed)].join('\n') + '\n');
    appendFileSync(file, lines[26].slice(0, 30));
    const before = fake.requests.length;
    const r = await run(out);
    const after = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(new Set(after.map((x) => `${x.problem_id}#${x.sample}`)).size).toBe(40);
    expect(after).toHaveLength(40);
    expect(r.counts.resume).toMatchObject({ dropped_duplicates: 1, dropped_errors: 1 });
    expect(r.counts.resumed_samples).toBe(25);
    expect(fake.requests.length - before).toBeGreaterThanOrEqual(15);
    expect(r.lenient['avg@4'].value).toBeCloseTo(0.8);
  });

  it('refuses to mix samples of another eval in one directory', async () => {
    await expect(run(join(dir, 'faulty'), { n: 8 })).rejects.toThrow(/different eval \(n differ\)[\s\S]*hint: pass another --out/);
  });

  it('refuses pass@k above the samples per problem before sampling anything', async () => {
    const before = fake.requests.length;
    await expect(run(join(dir, 'small'), { n: 2 })).rejects.toThrow(/pass@4, maj@4 need more than the 2 samples[\s\S]*raise --n to 4/);
    expect(fake.requests.length).toBe(before);
  });

  it('compares two runs on the same problems', async () => {
    const t = compareEvalDirs(join(dir, 'faulty'), join(dir, 'resume'));
    expect(t).toMatchObject({ metric: 'avg@4', n_problems: 10, mean_diff: 0, only_a: 0, only_b: 0 });
  });
});

describe('runEval with samples that fail after every retry', () => {
  // right answers, but every request about problem p3 gets a 500
  let bad: FakeServer;
  beforeAll(async () => {
    bad = await startFake({ answer: (b) => `\\boxed{${2 * Number(/What is (\d+)\+/.exec(JSON.stringify(b.messages))![1])}}`, fault: (b) => (JSON.stringify(b.messages).includes('What is 3+3') ? '500' : 'ok') });
  });
  afterAll(() => bad.close());
  const runBad = async (out: string, maxErrorRate?: number) => {
    const spec = loadSpec('toy', evals);
    const bench = await loadBench(spec.spec, { dataDir: data });
    const source = endpointSource([{ base_url: bad.url, model: 'fake', timeout_s: 5 }], { concurrency: 4, max_retries: 1, base_delay_ms: 1, max_delay_ms: 5 });
    return runEval({ spec, problems: bench.problems, data: bench, source, outDir: out, concurrency: 4, maxErrorRate });
  };

  it('fails by default, says how many and why, and leaves no results.json', async () => {
    const out = join(dir, 'bad-strict');
    await expect(runBad(out)).rejects.toThrow(/4 of 40 samples failed after retries \(10\.0%, more than --max-error-rate 0\); no results written:\n {4}4 × chat request failed after 2 attempt\(s\): .*500/);
    expect(existsSync(join(out, 'results.json'))).toBe(false);
  });

  it('leaves the failed problem out of the metrics instead of scoring it 0 when the rate is allowed', async () => {
    const r = await runBad(join(dir, 'bad-tolerant'), 0.1);
    expect(r.metrics['avg@4'].value).toBe(1);
    expect(r.counts).toMatchObject({ problems: 10, scored_problems: 9, missing_samples: 4, missing_problems: 1, errors: 4 });
  });
});

// `reprise eval` as a subprocess against endpoints that fail: a sample that could not be obtained is never scored
// as a wrong answer, and a run with more of them than --max-error-rate allows exits non-zero with no results.json.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli as reprise } from '../cli-process.js';
import { startFake, type FakeServer } from '../fixtures/fake-openai.js';

const dir = mkdtempSync(join(tmpdir(), 'reprise-failed-'));
const evals = join(dir, 'evals');
const data = join(dir, 'data');
mkdirSync(join(evals, 'toy'), { recursive: true });
writeFileSync(join(evals, 'toy', 'default.yaml'), `name: toy
version: 1
dataset: { split: test, local: toy/test, fields: { id: id, problem: q, answer: a } }
prompt: { user: "What is {problem}" }
scoring: { preset: math, primary: lenient }
sampling: { temperature: 0.6, top_p: 0.95, max_tokens: 64, n: 2 }
metrics: { pass_k: [1, 2], maj_k: [2], bootstrap_resamples: 50 }
`);
mkdirSync(join(data, 'toy'), { recursive: true });
writeFileSync(join(data, 'toy', 'test.jsonl'), Array.from({ length: 4 }, (_, k) => JSON.stringify({ id: `p${k}`, q: `${k}+${k}?`, a: String(2 * k) })).join('\n') + '\n');

const cli = (args: string[]) => reprise(['eval', '--bench', 'toy', '--data-dir', data, '--max-retries', '1', '--timeout', '5', ...args], { env: { REPRISE_EVALS_DIR: evals } });

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// right answers everywhere, but every request about problem p3 gets a 500
let fake: FakeServer;
beforeAll(async () => {
  fake = await startFake({
    answer: (b) => `\\boxed{${2 * Number(/What is (\d+)\+/.exec(JSON.stringify(b.messages))![1])}}`,
    fault: (b) => (JSON.stringify(b.messages).includes('What is 3+3') ? '500' : 'ok'),
  });
});
afterAll(() => fake.close());

describe('reprise eval with samples that could not be obtained', { timeout: 120_000 }, () => {
  it('exits non-zero against an endpoint that refuses every connection, says why, and writes no results.json', async () => {
    const out = join(dir, 'dead');
    const r = await cli(['--endpoint', `http://127.0.0.1:${await closedPort()}/v1`, '--model', 'm', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/8 of 8 samples failed after retries/);
    expect(r.stderr).toMatch(/8 × .*ECONNREFUSED/);
    expect(r.stdout).not.toMatch(/avg@2/);
    expect(existsSync(join(out, 'results.json'))).toBe(false);
  });

  it('fails by default when one problem fails, and with --max-error-rate scores only the problems it could sample', async () => {
    const strictOut = join(dir, 'strict');
    const s = await cli(['--endpoint', fake.url, '--model', 'm', '--out', strictOut]);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/2 of 8 samples failed after retries \(25\.0%, more than --max-error-rate 0\)/);
    expect(existsSync(join(strictOut, 'results.json'))).toBe(false);

    const out = join(dir, 'tolerant');
    const t = await cli(['--endpoint', fake.url, '--model', 'm', '--out', out, '--max-error-rate', '0.25']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/missing 2 samples \(1 problem\) excluded from the metrics/);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    // p3 is excluded, not scored 0: 3 of 3 scored problems are right
    expect(res.metrics['avg@2'].value).toBe(1);
    expect(res.counts).toMatchObject({ problems: 4, scored_problems: 3, missing_samples: 2, errors: 2 });
    expect(Object.values(res.counts.error_reasons)).toEqual([2]);
    expect(Object.keys(res.counts.error_reasons)[0]).toMatch(/500/);
  });
});

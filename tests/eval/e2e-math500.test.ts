import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/eval.js';
import { startFake, type FakeServer } from '../fixtures/fake-openai.js';

// `reprise eval --bench math500` on the four fixture problems against an endpoint whose answers are scripted:
// problem 0 right in both samples, problem 1 in one, problems 2 and 3 in none. 3 of 8 samples are right.
process.env.REPRISE_QUIET = '1';
const root = resolve(__dirname, '../..');
const dataDir = join(root, 'tests/fixtures/eval');
const problems = readFileSync(join(dataDir, 'math500/test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { problem: string; answer: string; unique_id: string });
const rightAnswers = [2, 1, 0, 0];

let fake: FakeServer;
const asked = new Map<number, number>();
beforeAll(async () => {
  fake = await startFake({
    answer: (body) => {
      const prompt = JSON.stringify(body.messages);
      const i = problems.findIndex((p) => prompt.includes(JSON.stringify(p.problem).slice(1, 40)));
      const k = asked.get(i) ?? 0;
      asked.set(i, k + 1);
      const boxed = k < rightAnswers[i] ? problems[i].answer : '7';
      return `Let me think.\n\nTherefore, the final answer is: $\\boxed{${boxed}}$. I hope it is correct`;
    },
  });
});
afterAll(() => fake.close());

describe('reprise eval of MATH-500 scores what the endpoint answered', () => {
  it('gives avg@2 = pass@1 = 3/8 when 3 of 8 samples are right, and marks exactly those samples correct', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'reprise-e2e-')), 'math500');
    const r = await evalCommand({ bench: 'math500', endpoint: [fake.url], model: 'scripted', n: '2', concurrency: '2', out, dataDir });
    expect([...asked.keys()].sort()).toEqual([0, 1, 2, 3]);
    const recs = readFileSync(join(out, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const correctPerProblem = problems.map((p) => recs.filter((x) => x.problem_id === p.unique_id && x.correct).length);
    expect(correctPerProblem).toEqual(rightAnswers);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved.metrics['avg@2'].value).toBe(3 / 8);
    expect(saved.metrics['pass@1'].value).toBe(3 / 8);
    expect(r.counts).toMatchObject({ problems: 4, samples: 8, errors: 0 });
  });
});

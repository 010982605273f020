// An eval-only flow for the leaderboard tests: a toy spec whose open-r1 variant carries a reference number, its
// data, and a real `reprise eval` against our fake OpenAI-compatible server.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evalCommand } from '../../src/cli/eval.js';
import type { EvalResults } from '../../src/eval/eval-results.js';
import { startFake } from '../fixtures/fake-openai.js';

export const SERVED = 'org/Toy-Distill-1.5B';
/** The fake answers problems with even k right: avg@4 = 0.5 exactly; the reference (0.45) lies inside its interval. */
export const REF = { model: 'Toy-Distill-1.5B', metric: 'avg@4', value: 0.45, source: 'Toy report, table 1' };

export function writeToyBench(root: string): { evals: string; data: string } {
  const evals = join(root, 'evals');
  const data = join(root, 'data');
  mkdirSync(join(evals, 'toy'), { recursive: true });
  writeFileSync(join(evals, 'toy', 'default.yaml'), `name: toy
version: 1
dataset: { split: test, local: toy/test, fields: { id: id, problem: q, answer: a } }
prompt: { user: "What is {problem}" }
sampling: { temperature: 0.6, max_tokens: 64, n: 4 }
metrics: { pass_k: [1], bootstrap_resamples: 200 }
`);
  writeFileSync(join(evals, 'toy', 'open-r1.yaml'), `extends: default
references:
  - { model: ${REF.model}, metric: ${REF.metric}, value: ${REF.value}, source: "${REF.source}" }
  - { model: Other-7B, metric: avg@4, value: 0.9, source: "Toy report, table 1" }
`);
  mkdirSync(join(data, 'toy'), { recursive: true });
  writeFileSync(join(data, 'toy', 'test.jsonl'), Array.from({ length: 20 }, (_, k) => JSON.stringify({ id: `p${k}`, q: `${k}+${k}?`, a: String(2 * k) })).join('\n') + '\n');
  return { evals, data };
}

/** Runs `reprise eval --bench toy/open-r1` against the fake server; `out` undefined keeps the default output directory. */
export async function runToyEval(root: string, out?: string): Promise<EvalResults> {
  const { evals, data } = writeToyBench(root);
  const fake = await startFake({
    answer: (body) => {
      const k = Number(/What is (\d+)\+/.exec(JSON.stringify(body.messages))![1]);
      return k % 2 === 0 ? `The answer is \\boxed{${2 * k}}.` : 'no idea, \\boxed{7}';
    },
  });
  const before = process.env.REPRISE_EVALS_DIR;
  process.env.REPRISE_EVALS_DIR = evals;
  try {
    return await evalCommand({ bench: 'toy/open-r1', endpoint: [fake.url], model: SERVED, dataDir: data, ...(out ? { out } : {}) });
  } finally {
    if (before === undefined) delete process.env.REPRISE_EVALS_DIR;
    else process.env.REPRISE_EVALS_DIR = before;
    await fake.close();
  }
}

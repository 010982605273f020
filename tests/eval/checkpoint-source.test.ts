import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalChatBackend } from '../../src/inference/local-chat.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadRecipe } from '../../src/config/recipe.js';
import { runEval } from '../../src/eval/engine.js';
import { recipeSpec, testProblems } from '../../src/eval/stage.js';
import { readJsonl } from '../../src/util/fs.js';
import { checkpointSource, type ModelSource } from '../../src/eval/source.js';
import { tinyCheckpoint } from '../fixtures/tiny-checkpoint.js';

process.env.REPRISE_QUIET = '1';
let dir: string;
beforeAll(async () => {
  dir = await tinyCheckpoint({ chars: '0123456789+=<>/abcdehinrstw ', context_length: 64 });
});

const req = (k: number, seed: number) => ({ messages: [{ role: 'user' as const, content: `${k}+${k * 7}=` }], temperature: 1, max_tokens: 12, seed });

describe('the checkpoint source', () => {
  let batched: ModelSource;
  let solo: ModelSource;
  beforeAll(async () => {
    batched = await checkpointSource(dir, 'cpu', { batch: 64 });
    solo = await checkpointSource(dir, 'cpu', { batch: 1 });
  });
  afterAll(async () => {
    await batched.close();
    await solo.close();
  });

  it('coalesces requests made together into one sampling call whose completions equal those sampled one by one', async () => {
    const reqs = Array.from({ length: 10 }, (_, k) => req(k, 1000 + k));
    // a spy that only counts: the real batched call runs
    const calls = vi.spyOn(LocalChatBackend.prototype, 'chatBatch');
    const together = await Promise.all(reqs.map((r) => batched.chat(r)));
    expect(calls.mock.calls.map((c) => c[1].length)).toEqual([10]);
    calls.mockRestore();
    const alone: string[] = [];
    for (const r of reqs) alone.push((await solo.chat(r)).choices[0].text);
    expect(together.map((r) => r.choices[0].text)).toEqual(alone);
    expect(new Set(alone).size).toBeGreaterThan(1);
    expect(batched.failures().failed).toBe(0);
  });

  it('keeps requests of different temperatures apart and answers each with its own settings', async () => {
    const [hot, greedy1, greedy2] = await Promise.all([batched.chat(req(3, 5)), batched.chat({ ...req(3, 5), temperature: 0 }), batched.chat({ ...req(3, 6), temperature: 0 })]);
    expect(greedy1.choices[0].text).toBe(greedy2.choices[0].text);
    expect(hot.choices[0].text).toBe((await solo.chat(req(3, 5))).choices[0].text);
  });
});

describe('the eval engine over a checkpoint', () => {
  it('gives the same samples and metrics whether requests are sampled one at a time or as one batch', async () => {
    const recipe = loadRecipe(resolve(import.meta.dirname, '../fixtures/tiny-recipe.yaml')).recipe;
    const spec = recipeSpec(recipe, 'sampled');
    const problems = testProblems(Array.from({ length: 4 }, (_, k) => ({ id: `p${k}`, messages: [{ role: 'user', content: `${k}+${k + 3}=` }], answer: String(2 * k + 3) })));
    const out = mkdtempSync(join(tmpdir(), 'reprise-batch-eq-'));
    const run = async (concurrency: number) => {
      const source = await checkpointSource(dir, 'cpu', { batch: concurrency });
      try {
        const r = await runEval({ spec, problems, data: { file: 'toy', sha256: 'x' }, source, outDir: join(out, `c${concurrency}`), concurrency });
        const rows = readJsonl<{ problem_id: string; sample: number; completion: string }>(join(out, `c${concurrency}`, 'samples.jsonl'));
        return { metrics: r.metrics, samples: rows.map((x) => `${x.problem_id}#${x.sample} ${x.completion}`).sort() };
      } finally {
        await source.close();
      }
    };
    const one = await run(1);
    const batched = await run(12);
    expect(one.samples).toHaveLength(4 * spec.spec.sampling.n);
    expect(batched).toEqual(one);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalCommand } from '../../src/cli/eval.js';
import { startFake, type FakeServer } from '../fixtures/fake-openai.js';

process.env.REPRISE_QUIET = '1';
let fake: FakeServer;
const home = process.cwd();
beforeAll(async () => {
  fake = await startFake({ answer: () => '<think>x</think><answer>42</answer>' });
});
afterAll(async () => {
  process.chdir(home);
  await fake.close();
});

describe('reprise eval outside the repository', () => {
  it('finds the eval spec and the recipe that makes its data relative to the package, not the working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-eval-cwd-'));
    process.chdir(dir);
    const r = await evalCommand({ bench: 'tiny-r1', endpoint: [fake.url], model: 'fake', n: '8', limit: '2', out: 'out', dataDir: 'data', json: true });
    expect(r.counts.problems).toBe(2);
    expect(existsSync(join(dir, 'data/tiny-r1/test.jsonl'))).toBe(true);
    expect(existsSync(join(dir, 'out/results.json'))).toBe(true);
  }, 60_000);
});

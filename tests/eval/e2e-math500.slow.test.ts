import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/eval.js';
import { LocalChatBackend } from '../../src/inference/local-chat.js';
import { startOpenAIServer, type ApiServer } from '../../src/serve/openai-server.js';
import { cli } from '../cli-process.js';
import { tinyCheckpoint } from '../fixtures/tiny-checkpoint.js';

process.env.REPRISE_QUIET = '1';
const root = resolve(__dirname, '../..');
let server: ApiServer;
beforeAll(async () => {
  const ckpt = await tinyCheckpoint({ name: 'tiny-ascii' });
  server = await startOpenAIServer({ backend: () => LocalChatBackend.load([{ path: ckpt }], 'cpu') });
}, 60_000);
afterAll(() => server.close());

const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()) : []);

describe('reprise eval of MATH-500 against reprise serve', () => {
  it('survives SIGKILL mid-run and ends with exactly one record per (problem, sample)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'reprise-e2e-')), 'math500');
    const flags = { bench: 'math500', endpoint: [server.baseUrl], model: 'tiny-ascii', n: '2', limit: '4', concurrency: '2', out, dataDir: join(root, 'tests/fixtures/eval') };
    const samples = join(out, 'samples.jsonl');
    const killed = await cli([JSON.stringify(flags)], { script: 'tests/fixtures/eval/run-eval.ts', killWhen: () => lines(samples).length >= 2 });
    expect(killed.code).toBe(null);
    const before = lines(samples).length;
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThan(8);
    expect(existsSync(join(out, 'results.json'))).toBe(false);

    const r = await evalCommand(flags);
    const recs = lines(samples).map((l) => JSON.parse(l));
    expect(recs).toHaveLength(8);
    expect(new Set(recs.map((x) => `${x.problem_id}#${x.sample}`)).size).toBe(8);
    expect(r.counts).toMatchObject({ problems: 4, samples: 8, resumed_samples: before, errors: 0 });
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved).toMatchObject({ schema: 'reprise.eval/v1', spec: { id: 'math500/default', name: 'math500', version: 1 }, model: { kind: 'endpoint', model: 'tiny-ascii' }, sampling: { n: 2 } });
    expect(saved.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(saved.prompt.user_template_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(saved.verifier.version).toMatch(/^verify-[0-9a-f]{16}$/);
    // the tiny model answers nothing right, so the metric's value is checked against scripted answers in
    // e2e-math500.test.ts; here only that one exists
    expect(saved.metrics['avg@2']).toMatchObject({ value: expect.any(Number) });
    expect(saved.tokens.completion).toBe(recs.reduce((s, x) => s + x.completion_tokens, 0));
  }, 180_000);
});

import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunSummary } from '../../src/eval/results.js';
import { cli as reprise, serveCli } from '../cli-process.js';

const root = resolve(__dirname, '../..');
const recipe = join(root, 'tests/fixtures/tiny-recipe.yaml');
const cli = (args: string[], opts: { killWhen?: () => boolean } = {}) => reprise(args, { ...opts, env: { REPRISE_QUIET: '' } });

function dirs() {
  const base = mkdtempSync(join(tmpdir(), 'reprise-run-'));
  return { work: join(base, 'work'), reports: join(base, 'reports') };
}
const runArgs = (d: { work: string; reports: string }, ...extra: string[]) => ['run', recipe, '--work-dir', d.work, '--reports', d.reports, ...extra];
const summaryOf = (d: { reports: string }) => JSON.parse(readFileSync(join(d.reports, 'runs/tiny-r1-test-v1-s1234/summary.json'), 'utf8')) as RunSummary;
const fingerprint = (s: RunSummary) => ({ datasets: s.datasets.map((x) => x.sha256), models: s.models.map((m) => [m.model, m.checkpoint_hash, m.metrics]), paired: s.paired });
const stageFile = (d: { work: string }, stage: string, file: string) => {
  const st = existsSync(join(d.work, 'stages')) ? readdirSync(join(d.work, 'stages')).find((x) => x.startsWith(`${stage}-`)) : undefined;
  return st ? join(d.work, 'stages', st, file) : '';
};
const noTempFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));

describe('reprise run', () => {
  let reference: RunSummary;
  let refDirs: { work: string; reports: string };

  it('runs every stage, writes the report with provenance, and prints the summary as JSON', async () => {
    refDirs = dirs();
    const r = await cli(runArgs(refDirs, '--json'));
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json.models)).toEqual(['base', 'sft', 'grpo']);
    expect(json.p_value).toBeTypeOf('number');
    expect(json.models.sft.metrics['pass@1']).toMatchObject({ value: expect.any(Number), lo: expect.any(Number), hi: expect.any(Number) });
    reference = summaryOf(refDirs);
    expect(reference.provenance.backend).toBe('wasm');
    expect(reference.recipe.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(reference.provenance.wall_s)).toEqual(['datagen', 'init', 'sft', 'grpo', 'eval-base', 'eval-sft', 'eval-grpo']);
    expect(r.stderr).toMatch(/\[sft\] \d+\/30 steps \| [\d.]+\/s \| ETA/);
    expect(existsSync(join(refDirs.reports, 'runs/tiny-r1-test-v1-s1234/curves/grpo.jsonl'))).toBe(true);
    // each eval stage ran the one eval engine: a results.json per spec variant
    for (const v of ['sampled', 'greedy']) expect(JSON.parse(readFileSync(stageFile(refDirs, 'eval-grpo', `${v}/results.json`), 'utf8')).schema).toBe('reprise.eval/v1');
  }, 240_000);

  it('skips finished stages on a second run, and --force reruns them to the same result', async () => {
    const again = await cli(runArgs(refDirs));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr.match(/\] cached/g)?.length).toBe(7);
    expect(again.stderr).not.toMatch(/\[sft\] \d+\/30 steps/);
    const forced = await cli(runArgs(refDirs, '--force'));
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).not.toMatch(/\] cached/);
    expect(fingerprint(summaryOf(refDirs))).toEqual(fingerprint(reference));
  }, 240_000);

  it('gives identical datasets, checkpoints and metrics in a fresh run with the same seed', async () => {
    const d = dirs();
    const r = await cli(runArgs(d));
    expect(r.code, r.stderr).toBe(0);
    expect(fingerprint(summaryOf(d))).toEqual(fingerprint(reference));
  }, 240_000);

  for (const stage of ['sft', 'grpo']) {
    it(`resumes after SIGKILL during ${stage} and finishes with the same result, leaving no torn files`, async () => {
      const d = dirs();
      const killed = await cli(runArgs(d), { killWhen: () => existsSync(stageFile(d, stage, 'ckpt.safetensors')) });
      expect(killed.signal).toBe('SIGKILL');
      expect(existsSync(stageFile(d, stage, 'done.json'))).toBe(false);
      const resumed = await cli(runArgs(d));
      expect(resumed.code, resumed.stderr).toBe(0);
      const log = readFileSync(stageFile(d, stage, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
      expect(log).toEqual([...new Set(log)].sort((a, b) => a - b));
      expect(noTempFiles(d.work)).toEqual([]);
      expect(fingerprint(summaryOf(d))).toEqual(fingerprint(reference));
    }, 240_000);
  }

  it('serves the run on the leaderboard: three models with intervals, each number linking to its provenance', async () => {
    const { url, stop } = await serveCli(['serve', '--reports', refDirs.reports, '--port', '0'], /http:\/\/127\.0\.0\.1:\d+\//);
    try {
      const page = await (await fetch(url)).text();
      for (const m of reference.models) {
        const p = m.metrics['pass@1'];
        const cell = `${(100 * p.value).toFixed(1)}% [${(100 * p.lo).toFixed(1)}, ${(100 * p.hi).toFixed(1)}]`;
        expect(page).toContain(cell);
        expect(page).toContain(`href="/runs/tiny-r1-test-v1-s1234#model-${m.model}"`);
      }
      const run = await (await fetch(`${url}runs/tiny-r1-test-v1-s1234`)).text();
      expect(run).toContain(reference.recipe.sha256);
      expect(run).toContain('id="model-grpo"');
      expect((await fetch(`${url}runs/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
    } finally {
      stop();
    }
  }, 60_000);

  it('rejects a bad recipe with the key and allowed values, and exits 2', async () => {
    const d = dirs();
    const r = await cli(['run', join(root, 'tests/fixtures/bad-recipe.yaml'), '--work-dir', d.work, '--reports', d.reports]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad-recipe\.yaml, line \d+, field "grpo\.loss_type": .*allowed values: grpo, dr_grpo, dapo, bnpo/);
  }, 60_000);
});

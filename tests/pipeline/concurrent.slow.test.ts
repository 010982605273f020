import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunSummary } from '../../src/eval/results.js';
import { startCli } from '../cli-process.js';

// Real `reprise run`s of the tiny recipe, started from a directory outside the repository (work dir and reports
// relative to it), alone, side by side, and with --force beside a running one.
const root = resolve(__dirname, '../..');
const recipe = join(root, 'tests/fixtures/tiny-recipe.yaml');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

const run = (cwd: string, ...extra: string[]) => startCli(['run', recipe, ...extra], { script: 'bin/reprise.js', cwd, env: { REPRISE_QUIET: '', REPRISE_LOCK_WAIT_S: '2' } });
const summaryOf = (cwd: string) => JSON.parse(readFileSync(join(cwd, 'reports/runs/tiny-r1-test-v1-s1234/summary.json'), 'utf8')) as RunSummary;
const rows = (file: string) => readFileSync(file, 'utf8').trim().split('\n').length;
const stageDir = (cwd: string, stage: string) => {
  const dir = join(cwd, '.reprise/stages');
  const d = existsSync(dir) ? readdirSync(dir).find((x) => x.startsWith(`${stage}-`)) : undefined;
  return d ? join(dir, d) : '';
};

/** One report with the rows one run writes: SFT logs steps 0, 5, …, 25 and the last; 24 problems × (3 samples + greedy). */
function expectOneCleanReport(cwd: string, sftSteps = 30) {
  const s = summaryOf(cwd);
  const dir = join(cwd, 'reports/runs', s.run_id);
  const logged = Array.from({ length: Math.ceil(sftSteps / 5) }, (_, i) => i * 5);
  if (logged.at(-1) !== sftSteps - 1) logged.push(sftSteps - 1);
  expect(readFileSync(join(dir, 'curves/sft.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step)).toEqual(logged);
  expect(rows(join(dir, 'curves/grpo.jsonl'))).toBe(6);
  for (const m of s.models) expect(rows(join(dir, m.samples_file)), m.model).toBe(96);
  expect(readdirSync(join(cwd, 'reports/runs'))).toEqual([s.run_id]);
  return s;
}

describe('reprise run: the working directory and concurrent runs', () => {
  it('runs from outside the repository and records the versions and commit of the package that ran', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'reprise-cwd-'));
    const r = await run(cwd).done;
    expect(r.code, r.stderr).toBe(0);
    const s = expectOneCleanReport(cwd);
    expect(s.provenance.versions.reprise).toBe(pkg.version);
    expect(s.provenance.git_commit).toMatch(/^[0-9a-f]{40}$/);
  }, 300_000);

  it('two runs of one recipe in one directory: one report as one run writes it, the other refused naming the holder', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'reprise-twice-'));
    const [a, b] = [run(cwd), run(cwd)];
    const results = await Promise.all([a.done, b.done]);
    const ok = results.filter((r) => r.code === 0);
    const refused = results.filter((r) => r.code !== 0);
    expect(ok.length, results.map((r) => r.stderr).join('\n----\n')).toBe(1);
    expect(refused).toHaveLength(1);
    const winner = results[0].code === 0 ? a : b;
    expect(refused[0].code).toBe(2);
    expect(refused[0].stderr).toMatch(new RegExp(`error \\[E_LOCKED\\]: .* is in use by pid ${winner.child.pid} `));
    expectOneCleanReport(cwd);
  }, 300_000);

  it('run --force beside a running run is refused and leaves its stage directories alone', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'reprise-force-'));
    // a long SFT, so the first run is still training when the second has started (a CLI start takes seconds)
    const long = ['--set', 'sft.steps=600'];
    const a = run(cwd, ...long);
    while (!existsSync(join(stageDir(cwd, 'sft'), 'log.jsonl'))) await new Promise((r) => setTimeout(r, 50));
    const b = await run(cwd, ...long, '--force').done;
    expect(b.code, b.stderr).toBe(2);
    expect(b.stderr).toMatch(new RegExp(`error \\[E_LOCKED\\]: .* is in use by pid ${a.child.pid} `));
    const ra = await a.done;
    expect(ra.code, ra.stderr).toBe(0);
    expectOneCleanReport(cwd, 600);
  }, 300_000);
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { record } from '../../bench/record.js';

describe('bench record', () => {
  it('writes the date, the git commit and whether the tree was dirty beside the figures', async () => {
    const root = mkdtempSync(join(tmpdir(), 'reprise-bench-rec-'));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: root, encoding: 'utf8' }).trim();
    git('init', '-q');
    writeFileSync(join(root, 'a.txt'), 'a');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'a');
    mkdirSync(join(root, 'reports/bench'), { recursive: true });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const before = Date.now();
    const file = await record(root, 'toy', { widgets_per_s: 3 });
    const rec = JSON.parse(readFileSync(file, 'utf8'));
    expect(file).toBe(join(root, 'reports/bench/toy.json'));
    expect(rec.git).toEqual({ commit: git('rev-parse', 'HEAD'), dirty: false });
    expect(Date.parse(rec.date)).toBeGreaterThanOrEqual(before - 1000);
    expect(rec).toMatchObject({ widgets_per_s: 3, cpus: expect.any(Number) });
    // measured again with the first record uncommitted in the tree: output, not code, so still clean
    const again = JSON.parse(readFileSync(await record(root, 'toy', { widgets_per_s: 4 }), 'utf8'));
    expect(again.git).toEqual({ commit: git('rev-parse', 'HEAD'), dirty: false });
    writeFileSync(join(root, 'a.txt'), 'b'); // changed code
    const third = JSON.parse(readFileSync(await record(root, 'toy', { widgets_per_s: 5 }), 'utf8'));
    vi.restoreAllMocks();
    expect(third.git).toEqual({ commit: git('rev-parse', 'HEAD'), dirty: true });
  });
});

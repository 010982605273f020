import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isolation } from '../../src/verify/sandbox/index.js';
import { sweepStale } from '../../src/verify/sandbox/lifetime.js';

const origTmp = process.env.TMPDIR;
const work = mkdtempSync(join(tmpdir(), 'sbx-sweep-'));
afterAll(() => {
  process.env.TMPDIR = origTmp;
  rmSync(work, { recursive: true, force: true });
});

describe('the sweep of what dead runs left', () => {
  it('removes the run directories of a dead process and keeps those of live ones and foreign names', async () => {
    const dead = spawnSync('true').pid!; // exited and reaped: its pid names no process
    const names = [`reprise-sbx-${dead}-aaaaaa`, `reprise-sbx-${process.pid}-bbbbbb`, `reprise-sbx-1-cccccc`, 'reprise-sbx-dddddd', 'other'];
    for (const n of names) mkdirSync(join(work, n));
    process.env.TMPDIR = work;
    const swept = await sweepStale({ ...isolation(), cgroupParents: [] });
    expect(swept).toEqual({ dirs: 1, cgroups: 0, killed: 0 });
    expect(readdirSync(work).sort()).toEqual(names.slice(1).sort());
  });
});

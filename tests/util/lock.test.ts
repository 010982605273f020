import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, LockedError } from '../../src/util/lock.js';

// Real processes as holders: the test's parent is alive; a finished `node -e ''` is dead. Contention between
// processes that take locks themselves is in lock.slow.test.ts.
const tmp = () => mkdtempSync(join(tmpdir(), 'reprise-lock-'));
const holderFile = (path: string, pid: number, host = hostname()) =>
  writeFileSync(path, JSON.stringify({ pid, host, nonce: `n${pid}`, started_at: '2026-01-01T00:00:00Z', command: 'reprise run r.yaml' }));
async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => c.on('exit', r));
  return c.pid!;
}

describe('acquireLock', () => {
  it('creates the lock holding this process, and release removes it and nothing else', async () => {
    const dir = tmp();
    const lock = await acquireLock(join(dir, 'a.lock'), 'a', { waitMs: 0 });
    expect(JSON.parse(readFileSync(join(dir, 'a.lock'), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('waits for a live holder, then refuses naming its pid, host and command', async () => {
    const path = join(tmp(), 'b.lock');
    holderFile(path, process.ppid);
    const err = (await acquireLock(path, 'stage sft', { waitMs: 300, pollMs: 50 }).catch((e: unknown) => e)) as LockedError;
    expect(err).toBeInstanceOf(LockedError);
    expect(err.code).toBe('E_LOCKED');
    expect(err.message).toMatch(new RegExp(`^stage sft is in use by pid ${process.ppid} on ${hostname()} \\(since 2026-01-01T00:00:00Z: reprise run r.yaml\\); waited 0 s`));
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.ppid);
  });

  it('takes over a lock whose holder is dead, leaving no takeover files behind', async () => {
    const dir = tmp();
    holderFile(join(dir, 'c.lock'), await deadPid());
    const lock = await acquireLock(join(dir, 'c.lock'), 'c', { waitMs: 0 });
    expect(JSON.parse(readFileSync(join(dir, 'c.lock'), 'utf8')).pid).toBe(process.pid);
    expect(readdirSync(dir)).toEqual(['c.lock']);
    lock.release();
    expect(existsSync(join(dir, 'c.lock'))).toBe(false);
  });

  it('takes over a lock file that is not a lock (unparseable)', async () => {
    const path = join(tmp(), 'd.lock');
    writeFileSync(path, '{"pid": 12');
    (await acquireLock(path, 'd', { waitMs: 0 })).release();
    expect(existsSync(path)).toBe(false);
  });

  it('counts a holder on another host as alive and says which file to delete', async () => {
    const path = join(tmp(), 'e.lock');
    holderFile(path, 1, 'elsewhere');
    const err = (await acquireLock(path, 'eval output out/', { waitMs: 0 }).catch((e: unknown) => e)) as LockedError;
    expect(err.message).toContain('eval output out/ is in use by pid 1 on elsewhere');
    expect(err.message).toContain(`delete ${path}`);
  });

  it('release leaves in place a lock that is no longer its own', async () => {
    const path = join(tmp(), 'f.lock');
    const lock = await acquireLock(path, 'f', { waitMs: 0 });
    holderFile(path, 1, 'elsewhere');
    lock.release();
    expect(JSON.parse(readFileSync(path, 'utf8')).host).toBe('elsewhere');
  });
});

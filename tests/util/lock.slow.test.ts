import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { acquireLock, LockedError } from '../../src/util/lock.js';

const script = resolve(__dirname, '../fixtures/lock-child.ts');
const tmp = () => mkdtempSync(join(tmpdir(), 'reprise-lock-'));
const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null ? r(c.exitCode) : c.on('exit', (code) => r(code))));
const said = (c: ChildProcess, word: string) => new Promise<void>((r) => c.stdout!.on('data', (d: Buffer) => d.toString().includes(word) && r()));

/** Starts contenders and lets them go at once, when every one of them is ready. */
async function contend(...argvs: string[][]): Promise<ChildProcess[]> {
  const kids = argvs.map((a) => spawn(process.execPath, ['--import', 'tsx', script, ...a], { stdio: ['pipe', 'pipe', 'inherit'] }));
  await Promise.all(kids.map((k) => said(k, 'ready')));
  for (const k of kids) k.stdin!.write('go\n');
  return kids;
}

async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', '']);
  await exited(c);
  return c.pid!;
}

describe('acquireLock between real processes', () => {
  it('keeps two contending processes from interleaving: no increment of a shared counter is lost', async () => {
    const dir = tmp();
    const counter = join(dir, 'counter');
    writeFileSync(counter, '0');
    const kids = await contend(['count', join(dir, 'c.lock'), counter, '40'], ['count', join(dir, 'c.lock'), counter, '40']);
    expect(await Promise.all(kids.map(exited))).toEqual([0, 0]);
    expect(readFileSync(counter, 'utf8')).toBe('80');
    expect(readdirSync(dir)).toEqual(['counter']);
  }, 60_000);

  it('refuses while another process holds the lock, naming its pid, and takes it over once that process is SIGKILLed', async () => {
    const dir = tmp();
    const path = join(dir, 'run.lock');
    const [holder] = await contend(['hold', path, '600000', join(dir, 'log')]);
    await said(holder, 'acquired');
    const err = await acquireLock(path, 'stage sft', { waitMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockedError);
    expect((err as LockedError).message).toMatch(new RegExp(`^stage sft is in use by pid ${holder.pid} on ${hostname()} `));
    holder.kill('SIGKILL');
    await exited(holder);
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(holder.pid);
    const lock = await acquireLock(path, 'stage sft', { waitMs: 0 });
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(path)).toBe(false);
  }, 30_000);

  it('lets exactly one of several processes racing to take over a dead lock hold it at a time', async () => {
    const dir = tmp();
    const path = join(dir, 'x.lock');
    const log = join(dir, 'log');
    writeFileSync(path, JSON.stringify({ pid: await deadPid(), host: hostname(), nonce: 'dead', started_at: '', command: 'gone' }));
    const kids = await contend(...[1, 2, 3, 4].map(() => ['hold', path, '200', log]));
    expect(await Promise.all(kids.map(exited))).toEqual([0, 0, 0, 0]);
    const events = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
    expect(events).toHaveLength(8);
    // acquire and release alternate, each release by the process that acquired just before
    events.forEach(([pid, what], i) => {
      expect(what).toBe(i % 2 ? 'release' : 'acquire');
      if (i % 2) expect(pid).toBe(events[i - 1][0]);
    });
    expect(readdirSync(dir).sort()).toEqual(['log']);
  }, 60_000);
});

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isolation } from '../../src/verify/sandbox/index.js';
import { wrapCommand } from '../../src/verify/sandbox/isolation.js';
import { startCli } from '../cli-process.js';

// `reprise exec` as a real process, stopped by a signal while its programs run: nothing it started may outlive
// it by more than the programs' timeout, and whatever it could not clean up goes at the next start.
const TIMEOUT_S = 5;
const GRACE_MS = 2000;
const iso = isolation();
const work = mkdtempSync(join(tmpdir(), 'sbx-lifetime-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Programs that never end by themselves: asleep, spinning, and a child that left the program's session.
const programs = [
  { id: 'sleep', language: 'python', code: 'import time\ntime.sleep(1000)' },
  { id: 'spin', language: 'python', code: 'while True: pass' },
  { id: 'daemon', language: 'python', code: 'import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(1000)\ntime.sleep(1000)' },
  { id: 'js-timer', language: 'javascript', code: 'setInterval(() => {}, 1000)' },
].map((p) => ({ ...p, timeout_s: TIMEOUT_S }));

const procs = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number);
const read = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};

/** Every process the exec with this pid started: by sandbox uid, by cgroup, or by its temp directory in argv. */
function sandboxed(pid: number, tmp: string): number[] {
  const lo = 1_000_000 + (pid % 1_000_000) * 64;
  const inCgroups = new Set(cgroupsOf(pid).flatMap((d) => read(join(d, 'cgroup.procs')).split('\n').filter(Boolean).map(Number)));
  return procs().filter((p) => {
    const uid = Number(/^Uid:\s+(\d+)/m.exec(read(`/proc/${p}/status`))?.[1]);
    if (uid >= lo && uid < lo + 64) return true;
    if (inCgroups.has(p)) return true;
    return read(`/proc/${p}/cmdline`).includes(tmp);
  });
}

function cgroupsOf(pid: number): string[] {
  return iso.cgroupParents.flatMap((parent) => readdirSync(parent).filter((n) => n.startsWith(`reprise-sbx-${pid}-`)).map((n) => join(parent, n)));
}

/** The sandbox's entries in a TMPDIR (tsx keeps its cache there too). */
const runDirs = (tmp: string) => readdirSync(tmp).filter((n) => n.startsWith('reprise-sbx-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startExec(tmp: string, input: string) {
  const output = join(dirname(tmp), `out-${Date.now()}.jsonl`);
  return { ...startCli(['exec', '--input', input, '--output', output, '--concurrency', '4'], { env: { TMPDIR: tmp } }), output };
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

const running = (pid: number) => read(`/proc/${pid}/stat`).length > 0 && !/^\d+ \(.*\) Z/.test(read(`/proc/${pid}/stat`));

describe.each(['SIGINT', 'SIGTERM', 'SIGKILL'] as const)('reprise exec stopped by %s', (sig) => {
  it(`leaves no sandboxed process alive ${TIMEOUT_S} s (+${GRACE_MS} ms) later, and no temp directory or cgroup after the next start`, async () => {
    const base = mkdtempSync(join(work, `${sig}-`));
    const tmp = join(base, 'tmp');
    mkdirSync(tmp);
    const input = join(base, 'in.jsonl');
    writeFileSync(input, programs.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const exec = startExec(tmp, input);
    const pid = exec.child.pid!;
    // all four programs started: four sandbox uids own a process
    const lo = 1_000_000 + (pid % 1_000_000) * 64;
    const uids = () => new Set(sandboxed(pid, tmp).map((p) => Number(/^Uid:\s+(\d+)/m.exec(read(`/proc/${p}/status`))?.[1])).filter((u) => u >= lo && u < lo + 64));
    expect(await waitFor(() => uids().size === 4, 60_000), `programs never all started: ${exec.stderr()}`).toBe(true);
    expect(exec.child.exitCode).toBe(null);

    exec.child.kill(sig);
    const t0 = Date.now();
    const { code, signal } = await exec.exited;
    const gone = await waitFor(() => sandboxed(pid, tmp).filter(running).length === 0, TIMEOUT_S * 1000 + GRACE_MS - (Date.now() - t0));
    const alive = sandboxed(pid, tmp).filter(running).map((p) => `${p} ${read(`/proc/${p}/cmdline`).replace(/\0/g, ' ').slice(0, 60)}`);
    expect(gone, `alive ${Date.now() - t0} ms after ${sig}: ${alive.join('; ')}`).toBe(true);
    if (sig === 'SIGKILL') expect(signal).toBe('SIGKILL');
    else expect(code, exec.stderr()).toBe(sig === 'SIGINT' ? 130 : 143);
    if (sig !== 'SIGKILL') {
      expect(runDirs(tmp), 'temp directories left by a clean stop').toEqual([]);
      expect(cgroupsOf(pid), 'cgroups left by a clean stop').toEqual([]);
    }

    if (sig === 'SIGKILL') {
      expect(runDirs(tmp).length, 'a SIGKILLed exec cannot clean up').toBeGreaterThan(0);
      if (iso.cgroupParents.length) expect(cgroupsOf(pid).length).toBeGreaterThan(0);
    }
    // the next start sweeps what a dead exec left, and only what belongs to dead processes
    const mine = join(tmp, `reprise-sbx-${process.pid}-keep`);
    mkdirSync(mine);
    const trivial = join(base, 'one.jsonl');
    writeFileSync(trivial, JSON.stringify({ id: 1, language: 'python', code: 'print(1)' }) + '\n');
    const next = startExec(tmp, trivial);
    expect((await next.exited).code, next.stderr()).toBe(0);
    expect(runDirs(tmp), 'stale temp directories').toEqual([`reprise-sbx-${process.pid}-keep`]);
    expect(cgroupsOf(pid), 'stale cgroups').toEqual([]);
    expect(cgroupsOf(next.child.pid!)).toEqual([]);
  }, 120_000);
});

describe('the run\'s own time limit', () => {
  it.runIf(iso.timeout)('ends a program that sleeps forever though nothing outside kills it', async () => {
    const dir = mkdtempSync(join(work, 'own-'));
    writeFileSync(join(dir, 'program.txt'), '');
    const limits = { timeoutS: 2, memoryMb: 256, maxProcs: 16, fileMb: 1, tmpMb: 8 };
    const argv = wrapCommand(iso, dir, 1_000_000 + (process.pid % 1_000_000) * 64 + 63, null, limits, ['sleep', '1000']);
    const t0 = Date.now();
    const child = spawn(argv[0], argv.slice(1), { cwd: dir, stdio: 'ignore' });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(limits.timeoutS * 1000);
    expect(code).toBe(128 + 9);
  }, 30_000);
});

// The code sandbox: runs one untrusted Python or JavaScript program and says how it ended. The one impure edge
// of verify/ — every process and file of a run is made and removed here.
//
// What it protects against (in `root` mode, the one probed on Linux as root with util-linux; see isolation.ts):
//   - running forever: a wall-clock timer SIGKILLs the whole process group, and RLIMIT_CPU stops CPU spinning;
//     the program runs in its own pid namespace, so every process it made (double-forked, setsid'd, sleeping
//     past its parent) dies with it.
//   - outliving its parent: the limit is also enforced inside the run (coreutils timeout, 1 s after the
//     parent's timer, as the namespace's pid 1), and the run's outermost process has PR_SET_PDEATHSIG, so a
//     SIGKILLed parent takes every run with it at once. stopAll() kills every run and removes its files (the
//     CLI calls it on SIGINT/SIGTERM/SIGHUP); what a SIGKILLed parent leaves (its temporary directories and
//     cgroups, named after its pid) is removed by the next process's first run (lifetime.ts).
//   - fork bombs: a pids cgroup and RLIMIT_NPROC on a uid that no other run shares.
//   - memory bombs: a memory cgroup for the whole run and RLIMIT_AS per process (JavaScript gets 1 GiB more
//     address space, which V8 reserves and never touches, and a heap capped at half the memory limit).
//   - floods of output: the first `keepBytes` of stdout and stderr are kept; past `maxOutputBytes` it is killed.
//   - writing or deleting files outside its directory: it runs as an unprivileged uid with no capabilities,
//     so host files are read-only to it; /tmp, /var/tmp, /dev/shm, /run/lock are fresh size-capped tmpfs
//     mounts that vanish with its mount namespace; RLIMIT_FSIZE caps any one file.
//   - the network: an empty network namespace (not even loopback is up).
//   - secrets in the environment: it gets PATH, HOME, LANG and nothing else; host processes (and their
//     /proc/<pid>/environ) are invisible in its pid namespace.
//   - faking success: "passed" needs exit status 0 AND a random nonce, handed over on fd 3, written back by the
//     harness after the program's last statement; exiting early (os._exit(0), sys.exit(0), process.exit(0))
//     or printing "passed" cannot produce it.
// What it does NOT protect against:
//   - reading: every world-readable file on the host (source trees, /etc) is readable.
//   - in-process cheating: a program can find the nonce in its own interpreter's memory (Python frames), or
//     return an object whose __eq__ is always True; the sandbox contains damage, it does not judge honesty.
//   - kernel exploits, CPU side channels, and starving the host of CPU within the time limit (runs are
//     niced and bounded in number, not pinned).
//   - weaker modes: in `userns` mode it keeps the invoking user's file permissions and has no cgroup; in
//     `plain` mode (no unshare) the network is open, stray files in /tmp stay, a process that leaves the
//     process group survives unless the run had its own uid, and nothing dies with a SIGKILLed parent before
//     the run's own time limit. isolation().notes says which applies.
//   - a reused pid: the sweep leaves a dead process's leftovers alone while another process has its pid.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { LANGUAGES, NONCE_BYTES, type Language } from './harness.js';
import { cgroupPids, isolation, makeCgroup, oomKills, removeCgroup, wrapCommand, type Limits } from './isolation.js';
import { cgroupName, makeRunDir, sweepOnce } from './lifetime.js';

export type RunStatus = 'passed' | 'failed' | 'timeout' | 'memory' | 'error';

export interface RunRequest {
  language: Language;
  code: string;
  /** Bytes fed to the program's stdin. */
  stdin?: string;
  timeoutS?: number;
}

export interface RunResult {
  status: RunStatus;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export interface SandboxOptions extends Partial<Limits> {
  keepBytes?: number;
  maxOutputBytes?: number;
}

export const DEFAULT_LIMITS: Limits & Required<Pick<SandboxOptions, 'keepBytes' | 'maxOutputBytes'>> = {
  timeoutS: 10,
  memoryMb: 1024,
  maxProcs: 64,
  fileMb: 16,
  tmpMb: 64,
  keepBytes: 64 * 1024,
  maxOutputBytes: 16 * 2 ** 20,
};

/** One run per core: programs are CPU-bound and the parent only waits. */
export const defaultConcurrency = (): number => Math.max(1, availableParallelism());

const limiter = pLimit(defaultConcurrency());
const freeSlots: number[] = [];
let nextSlot = 0;
let runCounter = 0;
// Runs in flight: how to kill each, and each one's end (its files and cgroup removed).
const inFlight = new Map<Promise<unknown>, () => void>();
let stopped = false;

/** Sets how many programs run at once in this process (all callers share one bound). */
export function setConcurrency(n: number): void {
  limiter.concurrency = Math.max(1, Math.floor(n));
}

/** Runs one program under the sandbox; queued behind the shared bound. Never throws for the program's faults. */
export function runProgram(req: RunRequest, opts: SandboxOptions = {}): Promise<RunResult> {
  return limiter(async () => {
    await sweepOnce(isolation());
    if (stopped) return error('[sandbox] not run: the sandbox was stopped');
    const slot = freeSlots.pop() ?? nextSlot++;
    const kill = { now: () => {} };
    const run = runInSlot(req, { ...DEFAULT_LIMITS, ...opts, ...(req.timeoutS ? { timeoutS: req.timeoutS } : {}) }, slot, kill);
    inFlight.set(run, () => kill.now());
    try {
      return await run;
    } finally {
      inFlight.delete(run);
      freeSlots.push(slot);
    }
  });
}

/**
 * Kills every run of this process and waits until their directories and cgroups are gone; queued and later
 * runs end at once with status error. For a parent that is about to exit (SIGINT, SIGTERM).
 */
export async function stopAll(): Promise<void> {
  stopped = true;
  for (const kill of inFlight.values()) kill();
  await Promise.allSettled([...inFlight.keys()]);
}

const error = (stderr: string): RunResult => ({ status: 'error', exitCode: null, stdout: '', stderr, wallMs: 0 });

async function runInSlot(req: RunRequest, l: typeof DEFAULT_LIMITS, slot: number, kill: { now: () => void }): Promise<RunResult> {
  const iso = isolation();
  const lang = LANGUAGES[req.language];
  if (!lang) return error(`[sandbox] unknown language ${JSON.stringify(req.language)}`);
  const exe = req.language === 'python' ? iso.python : iso.node;
  if (!exe) return error(`[sandbox] no ${req.language} interpreter the sandbox user can run (set REPRISE_PYTHON)`);
  // A uid per process and slot: RLIMIT_NPROC counts per uid, so no two concurrent runs share one.
  const uid = 1_000_000 + (process.pid % 1_000_000) * 64 + (slot % 64);
  const dir = makeRunDir();
  const cgroups = makeCgroup(iso, cgroupName(slot, runCounter++), l);
  try {
    writeFileSync(join(dir, lang.program), req.code);
    writeFileSync(join(dir, lang.harnessFile), lang.harness);
    if (iso.mode === 'plain' && iso.dropUid) {
      chownSync(dir, uid, uid);
      for (const f of [lang.program, lang.harnessFile]) chownSync(join(dir, f), uid, uid);
    } else chmodSync(dir, 0o700);
    if (stopped) return error('[sandbox] not run: the sandbox was stopped');
    const argv = wrapCommand(iso, dir, uid, cgroups, { ...l, addressSpaceMb: lang.addressSpaceMb(l.memoryMb) }, lang.argv(exe, l.memoryMb));
    const r = await execute(argv, dir, req.stdin ?? '', l, iso.mode === 'plain' ? () => [] : () => cgroupPids(cgroups), kill);
    const oom = oomKills(cgroups) > 0;
    return { ...r, status: oom && r.status !== 'passed' ? 'memory' : r.status };
  } finally {
    if (iso.mode === 'plain' && iso.dropUid) await sweepUid(uid);
    await removeCgroup(cgroups);
    rmSync(dir, { recursive: true, force: true });
  }
}

class Capture {
  bytes = 0;
  private chunks: Buffer[] = [];
  private kept = 0;
  constructor(private readonly keep: number) {}
  add(b: Buffer): void {
    this.bytes += b.length;
    if (this.kept < this.keep) {
      const part = b.subarray(0, this.keep - this.kept);
      this.chunks.push(part);
      this.kept += part.length;
    }
  }
  text(): string {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return this.bytes > this.kept ? `${s}\n[sandbox] truncated: ${this.bytes - this.kept} more bytes` : s;
  }
}

const UNSHARE_SIGKILL = /^unshare: sigprocmask unblock failed[^\n]*\n?/m;
const MEMORY_RE = /MemoryError|JavaScript heap out of memory|Cannot allocate memory|std::bad_alloc|allocation failed/;

/**
 * Kills a run. The processes inside the namespace go first (its pid 1 is the parent of every other): unshare
 * then reaps them, where killing unshare first would leave its child a zombie for the host's init to reap.
 * The whole process group follows, at once where there is no namespace, else if the run has not ended soon.
 */
function killRun(leader: number, inside: () => number[], graceMs: number): void {
  const kill = (pid: number) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  const pids = [...inside(), ...childrenOf(leader)];
  pids.forEach(kill);
  if (pids.length === 0) kill(-leader);
  else setTimeout(() => kill(-leader), graceMs).unref();
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function execute(argv: string[], cwd: string, stdin: string, l: typeof DEFAULT_LIMITS, inside: () => number[], stop: { now: () => void }): Promise<RunResult> {
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp/w', LANG: 'C.UTF-8', PYTHONIOENCODING: 'utf-8' };
  const t0 = performance.now();
  return new Promise((resolveRun) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const nonce = randomBytes(NONCE_BYTES / 2).toString('hex');
    const out = new Capture(l.keepBytes);
    const err = new Capture(l.keepBytes);
    let back = '';
    let killedFor: 'timeout' | 'output' | 'stopped' | null = null;
    const kill = (why: typeof killedFor) => {
      killedFor ??= why;
      killRun(child.pid!, inside, 500);
    };
    stop.now = () => kill('stopped');
    const timer = setTimeout(() => kill('timeout'), l.timeoutS * 1000);
    const watch = (s: Readable, c: Capture) =>
      s.on('data', (b: Buffer) => {
        c.add(b);
        if (out.bytes + err.bytes > l.maxOutputBytes) kill('output');
      });
    watch(child.stdout!, out);
    watch(child.stderr!, err);
    const side = child.stdio[3] as unknown as NodeJS.ReadWriteStream;
    side.on('data', (b: Buffer) => (back += b.toString('latin1').slice(0, 4 * NONCE_BYTES)));
    side.on('error', () => {});
    side.write(nonce);
    child.stdin!.on('error', () => {});
    child.stdin!.end(stdin);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolveRun(error(`[sandbox] cannot start ${argv[0]}: ${e.message}`));
    });
    child.on('exit', () => { // the group may outlive its leader in plain mode
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* none left */
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let exitCode = code ?? 128 + (signal ? signalNumber(signal) : 0);
      let stderr = err.text() + (killedFor === 'output' ? `\n[sandbox] killed: more than ${l.maxOutputBytes} bytes of output` : killedFor === 'stopped' ? '\n[sandbox] killed: the sandbox was stopped' : '');
      // unshare passes its child's fatal signal on by raising it on itself, which fails for SIGKILL: it says so
      // and exits 1. That is the program's SIGKILL (ours, or the OOM killer's).
      if (UNSHARE_SIGKILL.test(stderr)) [stderr, exitCode] = [stderr.replace(UNSHARE_SIGKILL, ''), 128 + 9];
      const wallMs = Math.round(performance.now() - t0);
      // SIGKILL after the time limit: the run's own timer, had the parent's not fired first
      const ranOut = exitCode === 128 + 9 && wallMs >= l.timeoutS * 1000;
      let status: RunStatus;
      if (killedFor === 'stopped') status = 'error';
      else if (killedFor === 'timeout' || signal === 'SIGXCPU' || exitCode === 128 + 24 || ranOut) status = 'timeout';
      else if (killedFor === 'output') status = 'failed';
      else if (exitCode === 121 && /\[sandbox-setup\]/.test(stderr)) status = 'error';
      else if (exitCode === 0 && back.includes(nonce)) status = 'passed';
      else if (MEMORY_RE.test(stderr.slice(-4096))) status = 'memory';
      else status = 'failed';
      resolveRun({ status, exitCode, stdout: out.text(), stderr, wallMs });
    });
  });
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15, SIGXCPU: 24, SIGXFSZ: 25 };
const signalNumber = (s: string): number => SIGNALS[s] ?? 0;

/** Plain mode as root: kill every process the run's uid still has (kill -1 as that uid reaches only its own). */
function sweepUid(uid: number): Promise<void> {
  return new Promise((done) => {
    const p = spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'kill', '-9', '-1'], { stdio: 'ignore' });
    p.on('close', () => done());
    p.on('error', () => done());
  });
}

/** Runs many programs, bounded by the shared limiter; results in input order. */
export function runMany(reqs: RunRequest[], opts: SandboxOptions = {}): Promise<RunResult[]> {
  return Promise.all(reqs.map((r) => runProgram(r, opts)));
}

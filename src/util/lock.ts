// Exclusive locks on what a process writes (a stage directory, an eval's output, a run's report), across processes.
//
// A lock is a file `<dir>.lock` holding its holder (pid, host, a random nonce, the command). It is created whole
// and atomically: the holder is written to a temporary file that is then hard-linked to the lock's name, which
// fails if the name exists. A second process waits (bounded) and then refuses, naming the holder.
//
// A lock whose holder is dead (same host, pid gone) is taken over. Removing it must not remove a fresh lock that
// replaced it in between, so only one process may remove a given dead holder's lock: the one that creates
// `<lock>.takeover-<hash of the dead lock>-<g>` (generation g, O_EXCL). If that process dies mid-takeover, the next
// generation decides. Nonces never repeat, so once the dead lock is gone no takeover file can act on anything.
//
// Not protected: a holder on another host (liveness cannot be checked: it counts as alive, and the message says
// which file to delete), and a dead holder's pid reused by an unrelated process (it counts as alive).

import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { RepriseError } from './errors.js';
import { sha256 } from './hash.js';

export interface LockHolder {
  pid: number;
  host: string;
  nonce: string;
  started_at: string;
  command: string;
}

export interface Lock {
  path: string;
  holder: LockHolder;
  release(): void;
}

export interface LockOptions {
  /** How long to wait for a live holder before refusing; default $REPRISE_LOCK_WAIT_S or 10 s. */
  waitMs?: number;
  pollMs?: number;
}

/** Another live process holds the lock. */
export class LockedError extends RepriseError {
  readonly holder: LockHolder | null;
  constructor(what: string, path: string, holder: LockHolder | null, waitedMs: number) {
    const who = holder ? `pid ${holder.pid} on ${holder.host} (since ${holder.started_at}: ${holder.command})` : 'a process whose lock file cannot be read';
    super(
      'E_LOCKED',
      `${what} is in use by ${who}; waited ${Math.round(waitedMs / 1000)} s`,
      `wait for it to finish or stop it; REPRISE_LOCK_WAIT_S sets how long to wait. If no such process runs, delete ${path}`,
    );
    this.name = 'LockedError';
    this.holder = holder;
  }
}

const held = new Set<Lock>();
let exitHook = false;

function readRaw(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function parse(raw: string): LockHolder | null {
  try {
    const h = JSON.parse(raw) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

/** A holder counts as alive unless it is on this host and its pid is gone. */
export function holderAlive(h: LockHolder): boolean {
  if (h.host !== hostname()) return true;
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `path` holding `content` atomically; false if it exists. */
function createExclusive(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, content);
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/** The takeover files of one dead lock (not the temporary files other processes are creating them from). */
function takeoverFiles(path: string, key: string): string[] {
  const name = `${basename(path)}.takeover-${key}-`;
  return readdirSync(dirname(path)).filter((f) => f.startsWith(name) && /^\d+$/.test(f.slice(name.length))).map((f) => join(dirname(path), f));
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Removes the dead lock whose content is `raw`, if this process wins the right to; the caller then retries. */
function takeOver(path: string, raw: string, me: string): void {
  const key = sha256(raw).slice(0, 16);
  for (let g = 0; ; g++) {
    const t = `${path}.takeover-${key}-${g}`;
    if (createExclusive(t, me)) {
      if (readRaw(path) === raw) unlinkSync(path);
      for (const f of takeoverFiles(path, key)) unlinkQuiet(f);
      return;
    }
    const other = readRaw(t);
    if (other === null) return; // cleaned up: the dead lock is already gone
    const h = parse(other);
    if (h && holderAlive(h)) return; // another process is taking over right now
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes the lock at `path`, waiting up to `waitMs` for a live holder; throws LockedError naming the holder. */
export async function acquireLock(path: string, what: string, opts: LockOptions = {}): Promise<Lock> {
  const waitMs = opts.waitMs ?? 1000 * Number(process.env.REPRISE_LOCK_WAIT_S ?? 10);
  const pollMs = opts.pollMs ?? 100;
  mkdirSync(dirname(path), { recursive: true });
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    nonce: randomBytes(12).toString('hex'),
    started_at: new Date().toISOString(),
    command: process.argv.slice(1).join(' '),
  };
  const mine = JSON.stringify(holder);
  const t0 = Date.now();
  for (;;) {
    if (createExclusive(path, mine)) break;
    const raw = readRaw(path);
    if (raw === null) continue;
    const other = parse(raw);
    if (!other || !holderAlive(other)) {
      takeOver(path, raw, mine);
      if (readRaw(path) !== raw) continue;
    }
    if (Date.now() - t0 >= waitMs) throw new LockedError(what, path, other, Date.now() - t0);
    await sleep(pollMs);
  }
  const lock: Lock = {
    path,
    holder,
    release() {
      if (!held.delete(lock)) return;
      if (readRaw(path) === mine) unlinkSync(path);
    },
  };
  held.add(lock);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => [...held].forEach((l) => l.release()));
  }
  return lock;
}

/** The lock file of a directory: beside it, so that deleting the directory keeps the lock. */
export function lockPathOf(dir: string): string {
  return `${dir.replace(/\/+$/, '')}.lock`;
}

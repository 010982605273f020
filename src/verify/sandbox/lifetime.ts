// What a run leaves on the host (a temporary directory, a cgroup) is named after the process that made it, so
// that a later process can remove what a dead one (SIGKILLed, crashed) could not.

import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupPids, removeCgroup, type Isolation } from './isolation.js';

const PREFIX = 'reprise-sbx-';
const OWNER = /^reprise-sbx-(\d+)-/;

export const makeRunDir = (): string => mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
export const cgroupName = (slot: number, n: number): string => `${PREFIX}${process.pid}-${slot}-${n}`;

function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const stale = (dir: string): string[] => {
  try {
    return readdirSync(dir).filter((n) => {
      const m = OWNER.exec(n);
      return m !== null && Number(m[1]) !== process.pid && isDead(Number(m[1]));
    });
  } catch {
    return [];
  }
};

export interface Swept {
  dirs: number;
  cgroups: number;
  killed: number;
}

/**
 * Removes the temporary directories (in tmpdir()) and cgroups (under this process's cgroup parents) whose owner
 * process is dead, killing anything still in those cgroups first. A live owner's are never touched; a reused pid
 * only delays the sweep.
 */
export async function sweepStale(iso: Isolation): Promise<Swept> {
  const swept: Swept = { dirs: 0, cgroups: 0, killed: 0 };
  for (const name of stale(tmpdir())) {
    try {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
      swept.dirs++;
    } catch {
      /* another user's: not ours to remove */
    }
  }
  for (const parent of iso.cgroupParents) {
    for (const name of stale(parent)) {
      const dir = [join(parent, name)];
      for (const pid of cgroupPids(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
          swept.killed++;
        } catch {
          /* gone */
        }
      }
      await removeCgroup(dir);
      if (!existsSync(dir[0])) swept.cgroups++;
    }
  }
  return swept;
}

let once: Promise<Swept> | undefined;
/** The sweep, at most once per process. */
export const sweepOnce = (iso: Isolation): Promise<Swept> => (once ??= sweepStale(iso));

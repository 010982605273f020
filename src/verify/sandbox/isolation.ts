// What isolation this machine allows (probed once), and the command line that wraps a program in it.
// Modes, strongest first:
//   root      — root with util-linux unshare: new net, pid, mount namespaces; fresh size-capped tmpfs on /tmp,
//               /var/tmp, /dev/shm, /run/lock; a per-run cgroup (memory, pids) when cgroupfs is writable; the
//               program runs as an unprivileged uid unique to this process and slot, with no capabilities.
//   userns    — not root but unprivileged user namespaces work (`unshare -r`): the same namespaces and tmpfs
//               mounts, but the program keeps the invoking user's file permissions and there is no cgroup.
//   plain     — neither: its own process group and rlimits only. No network isolation; when root, setpriv still
//               drops to a per-slot uid, and every process of that uid is killed after the run.
// In every mode coreutils `timeout` (when present) enforces the wall-clock limit inside the run, so it ends even
// when its parent is gone; with namespaces the run also dies with its parent (setpriv --pdeathsig).

import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, realpathSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type Mode = 'root' | 'userns' | 'plain';

export interface Isolation {
  mode: Mode;
  /** Drops to a dedicated uid (root mode, or plain mode as root with setpriv). */
  dropUid: boolean;
  prlimit: boolean;
  /** The run's outermost process dies with its parent (setpriv --pdeathsig), taking its namespace with it. */
  pdeathsig: boolean;
  /** coreutils timeout enforces the wall-clock limit inside the run, whether or not its parent is still there. */
  timeout: boolean;
  /** Parent directories in which a per-run cgroup is made: v1 has one per controller, v2 one. */
  cgroupParents: string[];
  cgroupVersion: 1 | 2 | null;
  python: string | null;
  node: string | null;
  notes: string[];
}

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** Whether a user that is neither owner nor group could run this file (every directory above it o+x). */
function othersCanRun(path: string): boolean {
  try {
    let p = realpathSync(path);
    if ((statSync(p).mode & 0o001) === 0) return false;
    while (p !== '/') {
      p = dirname(p);
      if ((statSync(p).mode & 0o001) === 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}

const ok = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 }).status === 0;

function resolvePython(needOthers: boolean): string | null {
  const cands = [process.env.REPRISE_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
  for (const c of cands) {
    const r = spawnSync(c, ['-c', 'import sys,os;print(os.path.realpath(sys.executable));print(sys.base_prefix)'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) continue;
    const [exe, prefix] = r.stdout.trim().split('\n');
    if (!needOthers || (othersCanRun(exe) && othersCanRun(join(prefix, 'lib')))) return exe;
  }
  return null;
}

function cgroupParents(): { parents: string[]; version: 1 | 2 | null } {
  try {
    const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
    const v1 = new Map(lines.map((l) => l.split(':')).filter((f) => f[1]).flatMap((f) => f[1].split(',').map((c) => [c, f[2]] as const)));
    const parents =
      v1.has('memory') && v1.has('pids')
        ? ['memory', 'pids'].map((c) => join('/sys/fs/cgroup', c, v1.get(c)!))
        : lines.some((l) => l.startsWith('0::'))
          ? [join('/sys/fs/cgroup', lines.find((l) => l.startsWith('0::'))!.slice(3))]
          : [];
    const version = v1.has('memory') ? 1 : 2;
    for (const p of parents) {
      const probe = join(p, `reprise-probe-${process.pid}`);
      mkdirSync(probe);
      // v2 gives a child the memory controller only where the parent delegates it (often refused: a cgroup
      // that holds processes may not delegate), and without it the run would have no memory limit at all.
      if (version === 2 && !existsSync(join(probe, 'memory.max'))) {
        rmdirSync(probe);
        writeFileSync(join(p, 'cgroup.subtree_control'), '+memory +pids');
        mkdirSync(probe);
      }
      const usable = version === 1 || existsSync(join(probe, 'memory.max'));
      rmdirSync(probe);
      if (!usable) return { parents: [], version: null };
    }
    return parents.length ? { parents, version } : { parents: [], version: null };
  } catch {
    return { parents: [], version: null };
  }
}

let cached: Isolation | undefined;

/** Probes once per process; REPRISE_SANDBOX=root|userns|plain forces a weaker mode (never a stronger one). */
export function isolation(): Isolation {
  if (cached) return cached;
  const want = process.env.REPRISE_SANDBOX as Mode | undefined;
  const root = process.getuid?.() === 0;
  const unshare = which('unshare');
  const setpriv = which('setpriv');
  const notes: string[] = [];
  let mode: Mode = 'plain';
  const nsArgs = ['--net', '--pid', '--fork', '--mount-proc', '--mount', '--kill-child'];
  const probe = 'mount --make-rprivate / && mount -t tmpfs tmpfs /tmp';
  if (unshare && want !== 'plain' && want !== 'userns' && root && setpriv && ok(unshare, [...nsArgs, 'sh', '-c', probe])) mode = 'root';
  else if (unshare && want !== 'plain' && ok(unshare, ['-r', ...nsArgs, 'sh', '-c', probe])) mode = 'userns';
  if (mode === 'plain') notes.push('no namespaces: the network is NOT blocked and stray files in /tmp are not cleaned');
  const dropUid = root && Boolean(setpriv) && mode !== 'userns';
  if (!dropUid) notes.push('programs run with the invoking user\'s file permissions');
  const cg = mode === 'root' ? cgroupParents() : { parents: [], version: null };
  if (!cg.version) notes.push('no cgroup: memory and process limits are per process (rlimits), not per run');
  const node = othersCanRun(process.execPath) || !dropUid ? process.execPath : othersCanRun('/usr/bin/node') ? '/usr/bin/node' : null;
  const pdeathsig = mode !== 'plain' && Boolean(setpriv) && ok(setpriv!, ['--pdeathsig', 'KILL', 'true']);
  const timeout = Boolean(which('timeout'));
  if (!timeout) notes.push('no coreutils timeout: a run whose parent was SIGKILLed lives on (RLIMIT_CPU stops only spinning)');
  else if (!pdeathsig) notes.push('a run whose parent was SIGKILLed lives on until its own time limit');
  cached = { mode, dropUid, prlimit: Boolean(which('prlimit')), pdeathsig, timeout, cgroupParents: cg.parents, cgroupVersion: cg.version, python: resolvePython(dropUid), node, notes };
  return cached;
}

export interface Limits {
  timeoutS: number;
  /** The run's memory (cgroup, all its processes together) and, unless addressSpaceMb says more, RLIMIT_AS. */
  memoryMb: number;
  addressSpaceMb?: number;
  maxProcs: number;
  /** Largest file the program may write, and the size of its tmpfs /tmp. */
  fileMb: number;
  tmpMb: number;
}

/** A per-run cgroup with memory and pids limits; null where cgroups are not writable. */
export function makeCgroup(iso: Isolation, name: string, l: Limits): string[] | null {
  if (!iso.cgroupVersion) return null;
  const dirs = iso.cgroupParents.map((p) => join(p, name));
  const bytes = String(l.memoryMb * 2 ** 20);
  try {
    for (const d of dirs) mkdirSync(d);
    const set = (file: string, v: string) => dirs.forEach((d) => { try { writeFileSync(join(d, file), v); } catch { /* not this controller */ } });
    if (iso.cgroupVersion === 1) {
      set('memory.limit_in_bytes', bytes);
      set('pids.max', String(l.maxProcs));
    } else {
      set('memory.max', bytes);
      set('memory.swap.max', '0');
      set('pids.max', String(l.maxProcs));
    }
    return dirs;
  } catch {
    void removeCgroup(dirs);
    return null;
  }
}

/** Host pids of every process in a run's cgroup. */
export function cgroupPids(dirs: string[] | null): number[] {
  const pids = new Set<number>();
  for (const d of dirs ?? []) {
    try {
      for (const p of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (p) pids.add(Number(p));
    } catch {
      /* gone */
    }
  }
  return [...pids];
}

/** OOM kills inside a run's cgroup (v1: memory.oom_control, v2: memory.events). */
export function oomKills(dirs: string[] | null): number {
  for (const d of dirs ?? []) {
    for (const f of ['memory.oom_control', 'memory.events']) {
      try {
        const m = /oom_kill (\d+)/.exec(readFileSync(join(d, f), 'utf8'));
        if (m) return Number(m[1]);
      } catch {
        /* other controller */
      }
    }
  }
  return 0;
}

/** Removes a run's cgroup; it stays busy for a moment while its last processes are reaped. */
export async function removeCgroup(dirs: string[] | null): Promise<void> {
  for (const d of dirs ?? []) {
    for (let i = 0; i < 100; i++) {
      try {
        rmdirSync(d);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
        if (process.env.REPRISE_SBX_DEBUG) process.stderr.write(`rmdir retry ${d}\n`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }
}

// Runs as root inside the new namespaces, then execs the program as the sandbox uid. $1 workdir, $2 uid,
// $3 tmpfs MiB, $4.. cgroup dirs up to "--", then the command.
const NS_SCRIPT = `
fail() { echo "[sandbox-setup] $*" >&2; exit 121; }
W=$1; U=$2; T=$3; shift 3
while [ "$1" != "--" ]; do echo $$ > "$1/cgroup.procs" || fail "cannot join cgroup $1"; shift; done; shift
cd "$W" || fail "no workdir"
mount --make-rprivate / 2>/dev/null || true
mount -t tmpfs -o size="$T"m,mode=1777 tmpfs /tmp || fail "cannot mount /tmp"
for d in /var/tmp /dev/shm /run/lock; do [ -d $d ] && mount -t tmpfs -o size=16m,mode=1777 tmpfs $d; done
mkdir /tmp/w && cp -- * /tmp/w/ || fail "cannot copy the program"
[ "$U" = "-" ] || chown -R "$U:$U" /tmp/w
chmod 700 /tmp/w; cd /tmp/w || fail "no /tmp/w"
unset OLDPWD PWD
exec "$@"
`;

/** How much longer than the parent's timer the run's own wall-clock limit lets it live. */
export const INNER_GRACE_S = 1;

/** The argv that runs `cmd` (in the workdir, or /tmp/w inside namespaces) under every limit of this mode. */
export function wrapCommand(iso: Isolation, workdir: string, uid: number, cgroups: string[] | null, l: Limits, cmd: string[]): string[] {
  const cpu = Math.ceil(l.timeoutS) + 1;
  // Inside namespaces it is their pid 1, as root and outside the cgroup: out of the program's reach and not
  // counted against its memory. When it ends, the namespace and every process in it go too.
  const wall = iso.timeout ? ['timeout', '-s', 'KILL', String(l.timeoutS + INNER_GRACE_S)] : [];
  const rl = iso.prlimit
    ? ['prlimit', `--as=${(l.addressSpaceMb ?? l.memoryMb) * 2 ** 20}`, `--cpu=${cpu}`, `--fsize=${l.fileMb * 2 ** 20}`, `--nofile=256`, '--core=0', ...(iso.dropUid || iso.mode === 'userns' ? [`--nproc=${l.maxProcs}`] : []), '--']
    : [];
  const drop = iso.dropUid ? ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--no-new-privs', '--inh-caps=-all', '--bounding-set=-all'] : [];
  const inner = [...drop, ...rl, 'nice', '-n', '10', ...cmd];
  if (iso.mode === 'plain') return [...wall, ...inner];
  const ns = [...(iso.pdeathsig ? ['setpriv', '--pdeathsig', 'KILL'] : []), 'unshare', ...(iso.mode === 'userns' ? ['-r'] : []), '--net', '--pid', '--fork', '--mount-proc', '--mount', '--kill-child'];
  return [...ns, ...wall, 'sh', '-c', NS_SCRIPT, 'sandbox', workdir, iso.dropUid ? String(uid) : '-', String(l.tmpMb), ...(cgroups ?? []), '--', ...inner];
}

// `reprise …` (or another script of the package) as a real subprocess, for tests that drive the CLI. Async: a
// blocking spawnSync would starve vitest's worker of its event loop for the whole run.

import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

export const packageRoot = resolve(__dirname, '..');

export interface CliOptions {
  /** Over process.env and REPRISE_QUIET=1 (`REPRISE_QUIET: ''` for the progress lines). */
  env?: NodeJS.ProcessEnv;
  /** Default: the package root. */
  cwd?: string;
  /** Relative to the package root; default src/cli.ts. A .ts runs under tsx, a .js (bin/reprise.js) as it is. */
  script?: string;
}
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}
export interface CliProcess {
  child: ChildProcess;
  /** On exit; the streams may still hold output (a program it started can keep them open). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** On exit with the streams closed, with all they carried. */
  done: Promise<CliResult>;
  stdout: () => string;
  stderr: () => string;
}

export function startCli(args: string[], opts: CliOptions = {}): CliProcess {
  const script = join(packageRoot, opts.script ?? 'src/cli.ts');
  const argv = script.endsWith('.ts') ? ['--import', 'tsx', script, ...args] : [script, ...args];
  // node itself with the tsx loader, so a signal sent to the child reaches the command and not a wrapper
  const child = spawn(process.execPath, argv, { cwd: opts.cwd ?? packageRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REPRISE_QUIET: '1', ...opts.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const done = new Promise<CliResult>((r) => child.on('close', (code, signal) => r({ code, signal, stdout, stderr })));
  return { child, exited, done, stdout: () => stdout, stderr: () => stderr };
}

/** Runs to the end; with killWhen, SIGKILLed as soon as it holds (polled every 20 ms). */
export function cli(args: string[], opts: CliOptions & { killWhen?: () => boolean } = {}): Promise<CliResult> {
  const p = startCli(args, opts);
  const { killWhen } = opts;
  if (killWhen) {
    const timer = setInterval(() => killWhen() && p.child.kill('SIGKILL'), 20);
    void p.exited.then(() => clearInterval(timer));
  }
  return p.done;
}

/** A server command (`serve`, `rewards serve`) started and its address read from what it prints: the first group of
 * `printed`, else all it matched. Rejects with the output if the command exits first. */
export async function serveCli(args: string[], printed: RegExp, opts: CliOptions = {}): Promise<{ url: string; stop: () => void }> {
  const p = startCli(args, opts);
  const url = await new Promise<string>((ok, fail) => {
    p.child.stdout!.on('data', () => {
      const m = printed.exec(p.stdout());
      if (m) ok(m[1] ?? m[0]);
    });
    void p.exited.then(({ code }) => fail(new Error(`reprise ${args.join(' ')} exited with ${code}: ${p.stdout()}${p.stderr()}`)));
  });
  return { url, stop: () => p.child.kill() };
}

// Where Reprise's own files are: the package root found from this module's location, not the working directory,
// so `reprise` run from anywhere (or installed under node_modules) finds its evals/, recipes/ and package.json.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The directory of Reprise's package.json (the same from src/ under tsx and from dist/src/ when built). */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'reprise') return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`package.json of reprise not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** A path inside the package (evals/, recipes/, datagen/…). */
export function packagePath(...parts: string[]): string {
  return resolve(packageRoot(), ...parts);
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
}

/** The commit of the package's own checkout (null when installed from the registry or git is absent). */
export function packageCommit(): { commit: string; dirty: boolean } | null {
  const root = packageRoot();
  const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    // a package installed inside someone else's repository must not report that repository's commit
    if (resolve(git('rev-parse', '--show-toplevel')) !== resolve(root)) return null;
    return { commit: git('rev-parse', '--short=12', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return null;
  }
}

// Provenance of a run: git commit and dirty flag (simple-git) of Reprise's own checkout, package versions, machine.
// All of it is found from the package root, never the working directory, and none of it may lose a finished run.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { simpleGit } from 'simple-git';
import { log } from '../util/progress.js';
import { packageRoot } from '../util/paths.js';

export async function gitState(root: string): Promise<{ commit: string | null; dirty: boolean | null }> {
  try {
    const git = simpleGit(root);
    if (!(await git.checkIsRepo())) return { commit: null, dirty: null };
    // a package installed inside another repository: that repository's commit says nothing about our code
    if (resolve((await git.revparse(['--show-toplevel'])).trim()) !== resolve(root)) return { commit: null, dirty: null };
    const commit = (await git.revparse(['HEAD']).catch(() => null))?.trim() ?? null;
    const status = await git.status();
    // what the project's commands write under reports/ is output, not code: a bench that follows another is not dirty
    return { commit, dirty: status.files.some((f) => !f.path.startsWith('reports/')) };
  } catch {
    return { commit: null, dirty: null };
  }
}

export function packageVersions(root: string): Record<string, string> {
  const require = createRequire(`${root}/package.json`);
  const own = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };
  const out: Record<string, string> = { reprise: own.version, node: process.version };
  for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', 'hono', 'mathjs', 'zod']) {
    // packages whose `exports` hide package.json (hono) are read from node_modules directly
    const paths = [() => require.resolve(`${name}/package.json`), () => join(root, 'node_modules', name, 'package.json')];
    out[name] = 'unknown';
    for (const path of paths) {
      try {
        out[name] = (JSON.parse(readFileSync(path(), 'utf8')) as { version: string }).version;
        break;
      } catch {
        // try the next way
      }
    }
  }
  return out;
}

type CodeProvenance = { git_commit: string | null; git_dirty: boolean | null; versions: Record<string, string>; bundle?: true };

/** A bundle's provenance, fixed when it was built (scripts/bundle-provenance.ts through esbuild's --define). */
function bundled(): CodeProvenance | undefined {
  const text = process.env.REPRISE_BUNDLE_PROVENANCE;
  if (!text) return undefined;
  try {
    const p = JSON.parse(text) as CodeProvenance;
    return { git_commit: p.git_commit, git_dirty: p.git_dirty, versions: { ...p.versions, node: process.version }, bundle: true };
  } catch (e) {
    log(`[report] warning: REPRISE_BUNDLE_PROVENANCE is not JSON (${(e as Error).message}); provenance read from the checkout`);
    return undefined;
  }
}

/**
 * The code's provenance for a report: what cannot be found is recorded as unknown, with a warning, never thrown.
 * A bundle says what it was built from, not the checkout it happens to run in.
 */
export async function codeProvenance(): Promise<CodeProvenance> {
  const b = bundled();
  if (b) return b;
  try {
    const root = packageRoot();
    const g = await gitState(root);
    return { git_commit: g.commit, git_dirty: g.dirty, versions: packageVersions(root) };
  } catch (e) {
    log(`[report] warning: provenance incomplete (${(e as Error).message}); versions recorded as unknown`);
    return { git_commit: null, git_dirty: null, versions: { reprise: 'unknown', node: process.version } };
  }
}

export function machine(): { platform: string; cpus: number } {
  return { platform: `${os.platform()}-${os.arch()} ${os.cpus()[0]?.model ?? ''}`.trim(), cpus: os.cpus().length };
}

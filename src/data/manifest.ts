// Dataset manifests: what made a dataset (generator, version, parameters) and each file's rows, bytes and
// SHA-256, so `reprise datagen --check` can rebuild and compare, naming the file that differs.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../util/hash.js';
import { readJson, writeJsonAtomic } from '../util/fs.js';
import { InputError } from '../util/errors.js';

export interface FileEntry {
  rows: number;
  bytes: number;
  sha256: string;
}

export interface DatasetManifest {
  dataset: string;
  kind: 'synthetic' | 'distill';
  /** Synthetic: the family and its version; distill: the teacher models. */
  generator: string;
  generator_version: number;
  recipe: { name: string; version: number };
  params: Record<string, unknown>;
  counts: Record<string, number>;
  files: Record<string, FileEntry>;
  /** Distill: keep-rates, failures, token usage; decontamination counts. */
  stats?: Record<string, unknown>;
}

export function fileEntry(text: string): FileEntry {
  return { rows: text.split('\n').filter((l) => l.trim() !== '').length, bytes: Buffer.byteLength(text), sha256: sha256(text) };
}

export function writeManifest(dir: string, m: DatasetManifest): void {
  writeJsonAtomic(join(dir, 'manifest.json'), m);
}

export function readManifest(dir: string): DatasetManifest | undefined {
  const p = join(dir, 'manifest.json');
  return existsSync(p) ? readJson<DatasetManifest>(p) : undefined;
}

export interface Mismatch {
  file: string;
  problem: string;
}

/**
 * Compares a manifest with freshly rebuilt file texts and with the files on disk: a rebuilt file whose hash
 * differs means the generator changed; a file on disk whose hash differs means the file was edited.
 */
export function checkAgainstManifest(dir: string, m: DatasetManifest, rebuilt: Record<string, string>, params: Record<string, unknown>): Mismatch[] {
  const out: Mismatch[] = [];
  if (JSON.stringify(m.params) !== JSON.stringify(params)) out.push({ file: join(dir, 'manifest.json'), problem: 'the recipe\'s parameters differ from the manifest\'s' });
  for (const name of new Set([...Object.keys(m.files), ...Object.keys(rebuilt)])) {
    const path = join(dir, name);
    const want = m.files[name];
    if (!want) {
      out.push({ file: path, problem: 'rebuilt but not in the manifest' });
      continue;
    }
    if (rebuilt[name] === undefined) out.push({ file: path, problem: 'in the manifest but not rebuilt' });
    else if (sha256(rebuilt[name]) !== want.sha256) out.push({ file: path, problem: `rebuilt sha256 ${sha256(rebuilt[name]).slice(0, 12)}… differs from the manifest's ${want.sha256.slice(0, 12)}…` });
    if (!existsSync(path)) out.push({ file: path, problem: 'missing on disk' });
    else {
      const onDisk = sha256(readFileSync(path));
      if (onDisk !== want.sha256) out.push({ file: path, problem: `file on disk has sha256 ${onDisk.slice(0, 12)}…, the manifest says ${want.sha256.slice(0, 12)}…` });
    }
  }
  return out;
}

export function requireManifest(dir: string, recipePath: string): DatasetManifest {
  const m = readManifest(dir);
  if (!m) throw new InputError(`no manifest.json in ${dir}`, { file: recipePath, hint: `build it first: reprise datagen ${recipePath}` });
  return m;
}

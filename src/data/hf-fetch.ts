// `reprise data fetch`: downloads a spec's file from the Hugging Face hub at its pinned revision into the data
// directory and records the URL, the commit the hub resolved and the SHA-256 in <local>.manifest.json.

import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EvalSpec } from '../config/eval-spec.js';
import { InputError, RepriseError } from '../util/errors.js';
import { writeJsonAtomic } from '../util/fs.js';
import { sha256 } from '../util/hash.js';

export interface FetchManifest {
  bench: string;
  hf_id: string;
  hf_config: string;
  split: string;
  revision: string;
  /** The commit the hub served (x-repo-commit), which pins a `main` revision after the fact. */
  resolved_commit: string | null;
  url: string;
  file: string;
  bytes: number;
  sha256: string;
  fetched_at: string;
}

const HUB = () => (process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');

export function hubUrl(spec: EvalSpec): string {
  const d = spec.dataset;
  if (!d.hf_id || !d.hf_file) throw new InputError(`${spec.name} does not come from the Hugging Face hub`, { field: 'dataset.hf_id', hint: d.made_by ?? 'put the file in the data directory by hand' });
  return `${HUB()}/datasets/${d.hf_id}/resolve/${encodeURIComponent(d.revision ?? 'main')}/${d.hf_file}`;
}

/** The file's extension as the data reader knows it. */
function formatOf(path: string): string {
  for (const f of ['jsonl.gz', 'jsonl', 'json', 'parquet']) if (path.endsWith(`.${f}`)) return f;
  throw new InputError(`hub file "${path}" is not jsonl, json, jsonl.gz or parquet`, { field: 'dataset.hf_file' });
}

export async function fetchBench(spec: EvalSpec, dir: string, opts: { fetchImpl?: typeof fetch } = {}): Promise<FetchManifest> {
  const url = hubUrl(spec);
  const d = spec.dataset;
  const target = join(dir, `${d.local}.${formatOf(d.hf_file!)}`);
  const token = process.env.HF_TOKEN;
  let res: Response;
  try {
    res = await (opts.fetchImpl ?? fetch)(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: 'follow' });
  } catch (e) {
    throw new RepriseError('E_OFFLINE', `cannot reach ${url}: ${(e as Error).message}`, `offline: download it elsewhere and put it at ${target} (or any of ${d.formats.map((f) => `${d.local}.${f}`).join(', ')} under ${dir})`);
  }
  if (!res.ok) {
    const why = res.status === 401 || res.status === 403 ? 'the dataset is gated or private: set HF_TOKEN' : res.status === 404 ? 'check dataset.hf_id, revision and hf_file in the spec' : 'try again later';
    throw new RepriseError('E_FETCH', `${url}: HTTP ${res.status}`, why);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  const sum = sha256(bytes);
  if (d.sha256 && d.sha256 !== sum) {
    throw new RepriseError('E_CHECKSUM', `${url}: SHA-256 ${sum} differs from the spec's ${d.sha256}`, 'the hub served other bytes at that revision; check dataset.revision, or update dataset.sha256 and the spec version');
  }
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { force: true });
  }
  const manifest: FetchManifest = {
    bench: spec.name,
    hf_id: d.hf_id!,
    hf_config: d.hf_config,
    split: d.split,
    revision: d.revision ?? 'main',
    resolved_commit: res.headers.get('x-repo-commit'),
    url,
    file: target,
    bytes: bytes.length,
    sha256: sum,
    fetched_at: new Date().toISOString(),
  };
  writeJsonAtomic(join(dir, `${d.local}.manifest.json`), manifest);
  return manifest;
}

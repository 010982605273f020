// `reprise eval --bench <name> (--checkpoint DIR | --endpoint URL --model NAME)`: runs an eval spec, resumable,
// and prints its metrics; `reprise eval-compare A B`: the paired comparison of two eval directories.

import { resolve } from 'node:path';
import { loadSpec, type EvalSpec } from '../config/eval-spec.js';
import { dataDir, loadBench } from '../data/bench-data.js';
import { runEval } from '../eval/engine.js';
import { compareEvalDirs, type EvalResults } from '../eval/eval-results.js';
import { checkpointSource, endpointSource, type ModelSource } from '../eval/source.js';
import { backendFlag } from '../config/recipe.js';
import { InputError } from '../util/errors.js';
import { hashJson } from '../util/hash.js';
import { acquireLock, lockPathOf } from '../util/lock.js';

export interface EvalFlags {
  bench: string;
  checkpoint?: string;
  endpoint?: string[];
  model?: string;
  apiKeyEnv?: string;
  n?: string;
  limit?: string;
  concurrency?: string;
  out?: string;
  dataDir?: string;
  timeout?: string;
  maxRetries?: string;
  maxErrorRate?: string;
  backend?: string;
  json?: boolean;
}

function int(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new InputError(`--${flag} must be an integer ≥ ${min}, got "${v}"`, { field: flag });
  return x;
}

function rate(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !(x >= 0 && x <= 1)) throw new InputError(`--${flag} must be a fraction in [0, 1], got "${v}"`, { field: flag });
  return x;
}

const pct = (e: { value: number; lo: number; hi: number }) => `${(100 * e.value).toFixed(1)} [${(100 * e.lo).toFixed(1)}, ${(100 * e.hi).toFixed(1)}]`;

export function formatResults(r: EvalResults, out: string): string {
  const lines = [`${r.spec.id} v${r.spec.version} · ${r.model.model} · ${r.counts.problems} problems × ${r.sampling.n} samples · ${r.wall_s.toFixed(1)}s`];
  for (const k of Object.keys(r.lenient)) lines.push(`  ${k.padEnd(10)} lenient ${pct(r.lenient[k])}   strict ${pct(r.strict[k])}   (se ${(100 * r.metrics[k].se).toFixed(1)}, primary: ${r.verifier.primary})`);
  const c = r.counts;
  lines.push(`  nulls ${c.nulls} (strict ${c.nulls_strict}) · verifier unknown ${c.verify_unknown}, timeouts ${c.verify_timeouts} · errors ${c.errors} · truncated ${c.truncated} · retries ${c.endpoint.retries}`);
  if (c.missing_samples > 0) {
    const why = Object.entries(c.error_reasons).sort((a, b) => b[1] - a[1]).map(([m, k]) => `${k} × ${m}`).join('; ');
    lines.push(`  missing ${c.missing_samples} samples (${c.missing_problems} problem${c.missing_problems === 1 ? '' : 's'}) excluded from the metrics, which cover ${c.scored_problems} of ${c.problems} problems: ${why}`);
  }
  for (const ref of r.references) lines.push(`  reference: ${ref.model} ${ref.metric} = ${(100 * ref.value).toFixed(1)} (${ref.source})`);
  lines.push(`  results: ${resolve(out, 'results.json')}`);
  return lines.join('\n');
}

/** A spec whose data a recipe's seeded datagen makes (tiny-r1) needs no download: write the split where the loader looks. */
async function regenerateIfMissing(spec: EvalSpec, dirFlag?: string): Promise<void> {
  const file = (await import('../pipeline/recipe-data.js')).regenerateIfMissing(spec, dataDir(dirFlag));
  if (file) process.stderr.write(`[eval] ${spec.name}: regenerated the ${spec.dataset.split} split of ${spec.dataset.recipe} → ${file}\n`);
}

export async function evalCommand(f: EvalFlags): Promise<EvalResults> {
  const endpoints = (f.endpoint ?? []).flatMap((e) => e.split(',')).filter(Boolean);
  if (!!f.checkpoint === endpoints.length > 0) throw new InputError('name exactly one model source: --checkpoint DIR, or --endpoint URL --model NAME', { field: f.checkpoint ? 'endpoint' : 'checkpoint' });
  if (endpoints.length && !f.model) throw new InputError('--endpoint needs --model NAME (the name the server knows the model by)', { field: 'model' });
  const spec = loadSpec(f.bench);
  const n = int('n', f.n, 1) ?? spec.spec.sampling.n;
  const concurrency = int('concurrency', f.concurrency, 1) ?? (f.checkpoint ? 1 : 16);
  const maxErrorRate = rate('max-error-rate', f.maxErrorRate) ?? 0;
  await regenerateIfMissing(spec.spec, f.dataDir);
  const data = await loadBench(spec.spec, { dataDir: f.dataDir, limit: int('limit', f.limit, 1), id: spec.id });
  const sourceKey = f.checkpoint ? resolve(f.checkpoint) : f.model;
  const out = f.out ?? `reports/evals/${spec.id.replace('/', '-')}/${(f.model ?? resolve(f.checkpoint!).split('/').pop())!.replace(/[^\w.-]+/g, '_')}-${hashJson({ spec: spec.hash, n, sourceKey }).slice(0, 8)}`;
  // one process per output directory (released on exit too, should opening the source throw)
  const lock = await acquireLock(lockPathOf(resolve(out)), `eval output ${out}`);
  let source: ModelSource;
  if (f.checkpoint) {
    const backend = backendFlag(f.backend) ?? 'wasm';
    source = await checkpointSource(f.checkpoint, backend, { batch: concurrency });
  } else {
    const timeout_s = int('timeout', f.timeout, 1);
    source = endpointSource(endpoints.map((base_url) => ({ base_url, model: f.model!, api_key_env: f.apiKeyEnv, timeout_s })), { concurrency, max_retries: int('max-retries', f.maxRetries, 0) });
  }
  try {
    const r = await runEval({ spec, problems: data.problems, data, source, n, outDir: out, concurrency, maxErrorRate });
    process.stdout.write((f.json ? JSON.stringify(r, null, 2) : formatResults(r, out)) + '\n');
    return r;
  } finally {
    await source.close();
    lock.release();
  }
}

export async function evalCompareCommand(a: string, b: string, f: { metric?: string; strict?: boolean }): Promise<void> {
  const t = compareEvalDirs(a, b, { metric: f.metric, strict: f.strict });
  process.stdout.write(`${t.metric} on ${t.n_problems} shared problems: b - a = ${(100 * t.mean_diff).toFixed(2)} points, 95% CI [${(100 * t.lo).toFixed(2)}, ${(100 * t.hi).toFixed(2)}], p = ${t.p_value.toPrecision(3)}\n  (${t.test}; only in a: ${t.only_a}, only in b: ${t.only_b})\n`);
}

// `reprise data fetch <bench>`: downloads a benchmark's file from the Hugging Face hub at the spec's revision.

import { loadSpec } from '../config/eval-spec.js';
import { dataDir } from '../data/bench-data.js';
import { fetchBench } from '../data/hf-fetch.js';

export async function dataFetchCommand(bench: string, opts: { dataDir?: string }): Promise<void> {
  const { spec } = loadSpec(bench);
  const m = await fetchBench(spec, dataDir(opts.dataDir));
  process.stdout.write(`${m.file}\n  ${m.bytes} bytes, sha256 ${m.sha256}\n  from ${m.url}${m.resolved_commit ? ` (commit ${m.resolved_commit})` : ''}\n`);
  if (m.revision === 'main') process.stderr.write(`note: the spec names no fixed revision; pin dataset.revision to ${m.resolved_commit ?? 'a commit'} for reproducible data\n`);
}

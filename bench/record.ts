// The one writer of reports/bench/<name>.json: every record says when, on which machine and from which commit
// (and whether the tree had uncommitted changes) its figures were measured.

import { join } from 'node:path';
import { gitState, machine } from '../src/pipeline/provenance.js';
import { writeJsonAtomic } from '../src/util/fs.js';

export async function record(root: string, name: string, figures: Record<string, unknown>): Promise<string> {
  const out = { date: new Date().toISOString(), git: await gitState(root), ...machine(), ...figures };
  const file = join(root, 'reports/bench', `${name}.json`);
  writeJsonAtomic(file, out);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  process.stderr.write(`bench written to ${file}\n`);
  return file;
}

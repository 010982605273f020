// `reprise export trl <recipe> --out DIR`: the recipe as TRL/open-r1 configs, JSONL datasets and a reward module.

import { resolve } from 'node:path';
import { RegistryError } from '../util/errors.js';

export interface ExportOptions {
  out: string;
  model?: string;
  rewardsUrl: string;
}

const FORMATS = ['trl'];

export async function exportCommand(format: string, recipe: string, opts: ExportOptions): Promise<void> {
  if (!FORMATS.includes(format)) throw new RegistryError('export format', format, FORMATS);
  const { writeTrlExport } = await import('../export/write.js');
  const out = resolve(opts.out);
  const { plan, files } = writeTrlExport(recipe, out, { model: opts.model, rewardsUrl: opts.rewardsUrl });
  process.stdout.write(`wrote ${files.length} files to ${out}: ${files.join(', ')}\n`);
  process.stdout.write(`${plan.unmapped.length} recipe settings have no TRL field: see reprise_unmapped.md\n`);
  process.stdout.write(`run: cd ${out} && reprise rewards serve & trl sft --config sft.yaml && trl grpo --config grpo.yaml\n`);
}

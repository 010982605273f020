// Writes a TRL export: sft.yaml and grpo.yaml (each key with the recipe keys it came from), the datasets as
// JSONL in TRL's conversational formats, reprise_rewards.py, and reprise_unmapped.md. Every file atomically.

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { regenerateSplit, validateRecipe } from '../pipeline/recipe-data.js';
import { InputError } from '../util/errors.js';
import { writeFileAtomic, writeJsonlAtomic } from '../util/fs.js';
import { rewardModule } from './python-module.js';
import { planTrlExport, type Json, type TrlExportOptions, type TrlFile, type TrlPlan } from './trl.js';

interface Msg {
  role: string;
  content: string;
}

/** A number PyYAML (YAML 1.1) reads back as the same float: it wants a dot in the mantissa and a signed exponent. */
function pyNumber(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`cannot write ${x} in a TRL config`);
  const s = String(x);
  if (!s.includes('e')) return s;
  const [m, e] = s.split('e');
  return `${m.includes('.') ? m : `${m}.0`}e${e.startsWith('-') || e.startsWith('+') ? e : `+${e}`}`;
}

/** JSON is YAML; only its numbers need PyYAML's float form. */
function yamlValue(v: Json): string {
  if (typeof v === 'number') return pyNumber(v);
  if (Array.isArray(v)) return `[${v.map(yamlValue).join(', ')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${yamlValue(x)}`).join(', ')}}`;
  return JSON.stringify(v);
}

export function renderConfig(f: TrlFile, plan: TrlPlan, recipeLabel: string, description: string): string {
  const head = [
    `# ${f.file}: ${recipeLabel} for TRL 1.13 (\`${f.parser} --config ${f.file}\`), written by \`reprise export trl\`.`,
    ...(description ? [`# ${description}`] : []),
    '# Run from this directory: the dataset paths are relative to it and TRL imports reprise_rewards from it.',
    ...(f.parser === 'trl grpo'
      ? [
          '# The reward functions call `reprise rewards serve` (start it first; REPRISE_REWARDS_URL if not local).',
          "# open-r1's grpo.py looks reward_funcs up in its own registry: there, pass reprise_rewards' functions to GRPOTrainer.",
        ]
      : []),
    '# Batch sizes are for one process: with N processes divide gradient_accumulation_steps by N.',
    `# Recipe settings TRL has no field for, and where TRL computes differently: reprise_unmapped.md (${plan.unmapped.length} settings).`,
    '',
  ];
  const body = f.entries.flatMap((e) => [`# ${e.from.length ? e.from.join(', ') : 'fixed'}${e.note ? `: ${e.note}` : ''}`, `${e.key}: ${yamlValue(e.value)}`]);
  return `${[...head, ...body].join('\n')}\n`;
}

function renderUnmapped(plan: TrlPlan, recipeLabel: string): string {
  const cell = (v: unknown) => `\`${JSON.stringify(v)}\``.replace(/\|/g, '\\|');
  return [
    `# ${recipeLabel}: what the TRL export does not carry`,
    '',
    '## Recipe settings with no TRL field',
    '',
    '| recipe key | value | why |',
    '| --- | --- | --- |',
    ...plan.unmapped.map((u) => `| ${u.key} | ${cell(u.value)} | ${u.reason} |`),
    '',
    '## Where TRL computes differently for the same setting',
    '',
    ...plan.departures.map((d) => `- ${d}`),
    '',
  ].join('\n');
}

/** SFT rows as TRL's conversational prompt-completion format, so the loss is on the completion only. */
function sftRow(row: { messages: Msg[] }, i: number, file: string) {
  const last = row.messages.map((m) => m.role).lastIndexOf('assistant');
  if (last < 0) throw new InputError('an SFT row has no assistant message', { file, line: i + 1, field: 'messages' });
  return { prompt: row.messages.slice(0, last), completion: row.messages.slice(last) };
}

export interface WrittenExport {
  plan: TrlPlan;
  files: string[];
}

export function writeTrlExport(recipePath: string, outDir: string, opts: TrlExportOptions & { rewardsUrl: string }): WrittenExport {
  const { recipe } = validateRecipe(recipePath);
  const plan = planTrlExport(recipe, opts);
  const label = `${recipe.name} v${recipe.version}`;
  const written: string[] = [];
  const put = (rel: string, text: string) => {
    mkdirSync(dirname(join(outDir, rel)), { recursive: true });
    writeFileAtomic(join(outDir, rel), text);
    written.push(rel);
  };
  for (const f of plan.files) put(f.file, renderConfig(f, plan, label, recipe.description));
  for (const d of plan.data) {
    const rows = regenerateSplit(recipePath, d.split) as { id?: string; messages: Msg[]; answer?: string }[];
    const out = d.split === 'sft' ? rows.map((r, i) => sftRow(r, i, recipePath)) : rows.map((r) => ({ id: r.id, prompt: r.messages, answer: r.answer }));
    mkdirSync(dirname(join(outDir, d.file)), { recursive: true });
    writeJsonlAtomic(join(outDir, d.file), out);
    written.push(d.file);
  }
  put('reprise_rewards.py', rewardModule(plan.rewards, opts.rewardsUrl));
  put('reprise_unmapped.md', renderUnmapped(plan, label));
  return { plan, files: written };
}

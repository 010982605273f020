#!/usr/bin/env node
// The `reprise` command line: one subcommand per file under cli/, each imported only when it runs.

import { Command } from 'commander';
import { RepriseError } from './util/errors.js';

const program = new Command('reprise').description('Evaluation-first reproduction harness for reasoning-model training').showHelpAfterError();

program
  .command('run')
  .description('run a recipe: datagen → SFT → GRPO → eval → report (finished stages are cached)')
  .argument('<recipe>', 'recipe file, e.g. recipes/tiny-r1/v1.yaml')
  .option('--force', 'rerun every stage instead of reusing cached results')
  .option('--json', 'print the run summary as JSON on stdout when it ends')
  .option('--reports <dir>', 'where results go', 'reports')
  .option('--work-dir <dir>', 'where datasets, checkpoints and stage caches go', '.reprise')
  .action(async (recipe: string, opts) => (await import('./cli/run.js')).runCommand(recipe, opts));

program
  .command('serve')
  .description('serve the leaderboard and run pages of reports/ over HTTP')
  .option('--reports <dir>', 'reports directory', 'reports')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--port <port>', 'port (0 picks a free one)', '8787')
  .action(async (opts) => (await import('./cli/serve.js')).serveCommand(opts));

program
  .command('grade')
  .description('grade completions against gold answers (JSONL in, JSONL out with pred, rule, correct)')
  .requiredOption('--input <file>', 'JSONL with gold and completion per line (optionally benchmark)')
  .requiredOption('--output <file>', 'where graded lines go (written atomically)')
  .option('--benchmark <name>', 'extraction preset for lines without a benchmark field (gsm8k, math500, …)')
  .option('--strict', 'only explicit answer markers, never a bare last number')
  .action(async (opts) => {
    await (await import('./cli/grade.js')).gradeCommand(opts);
  });

program
  .command('report')
  .description('write the leaderboard, run pages and sample browser of reports/ as static HTML')
  .requiredOption('--html <dir>', 'directory to write the static site into (index.html at its root)')
  .option('--reports <dir>', 'reports directory', 'reports')
  .action(async (opts) => (await import('./cli/report.js')).reportCommand(opts));

program
  .command('exec')
  .description('run programs in the sandbox (JSONL in: id, language, code, timeout_s?; JSONL out: status, exit_code, stdout, stderr, wall_ms)')
  .requiredOption('--input <file>', 'JSONL of programs')
  .requiredOption('--output <file>', 'where results go (written atomically, in input order)')
  .option('--concurrency <n>', 'programs run at once (default: the machine\'s parallelism)')
  .action(async (opts) => {
    await (await import('./cli/exec.js')).execCommand(opts);
  });

program
  .command('validate')
  .description('check a recipe against its schema without running it')
  .argument('<recipe>', 'recipe file')
  .action(async (recipe: string) => (await import('./cli/run.js')).validateCommand(recipe));

program.parseAsync().catch((e: unknown) => {
  if (e instanceof RepriseError) {
    process.stderr.write(`reprise: error [${e.code}]: ${e.message}\n`);
    process.exit(2);
  }
  // printed here: the wasm backend's own handlers would otherwise dump its whole source on a rethrow
  process.stderr.write(`reprise: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});

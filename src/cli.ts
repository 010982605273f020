#!/usr/bin/env node
// The `reprise` command line: one subcommand per file under cli/, each imported only when it runs.

import { Command } from 'commander';
import { RepriseError } from './util/errors.js';
import { packageCommit, packageVersion } from './util/paths.js';
import { uncaughtFsError } from './util/fs.js';

const BACKEND_HELP = 'auto (webgpu when an adapter is found, else wasm), wasm, blas (wasm with OpenBLAS products), cpu or webgpu';

const program = new Command('reprise').description('Evaluation-first reproduction harness for reasoning-model training').showHelpAfterError();

program.option('-V, --version', "print the package version (and the commit, in a git checkout of Reprise)").on('option:version', () => {
  const git = packageCommit();
  process.stdout.write(`${packageVersion()}${git ? ` (${git.commit}${git.dirty ? ', dirty' : ''})` : ''}\n`);
  process.exit(0);
});

program
  .command('run')
  .description('run a recipe: datagen → SFT → GRPO → eval → report (finished stages are cached)')
  .argument('<recipe>', 'recipe file, e.g. recipes/tiny-r1/v1.yaml')
  .option('--force', 'rerun every stage instead of reusing cached results')
  .option('--json', 'print the run summary as JSON on stdout when it ends')
  .option('--reports <dir>', 'where results go', 'reports')
  .option('--work-dir <dir>', 'where datasets, checkpoints and stage caches go', '.reprise')
  .option('--set <key=value...>', 'override a recipe value, keeping its type (e.g. --set grpo.steps=5); recorded in the report')
  .option('--new-run', 'a changed recipe whose name and version already have a run gets a run of its own instead of being refused')
  .option('--backend <b>', `tfjs backend, overriding the recipe's: ${BACKEND_HELP}; or torch: SFT and GRPO on the torch worker (Hugging Face models)`)
  .option('--endpoint <url>', "OpenAI-compatible base URL of the model an eval-only recipe evaluates (its model.endpoint)")
  .option('--model <name>', "the model's name on that endpoint (its model.name); references are matched by it")
  .option('--data-dir <dir>', 'where benchmark files are (default: $REPRISE_DATA_DIR, else .reprise/data)')
  .option('--accelerate-config <file>', "an accelerate config file the torch worker is launched with (sets the sft and grpo stages' accelerate_config)")
  .action(async (recipe: string, opts) => (await import('./cli/run.js')).runCommand(recipe, opts));

program
  .command('serve')
  .description('serve the leaderboard and run pages of reports/ over HTTP')
  .option('--reports <dir>', 'reports directory', 'reports')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--port <port>', 'port (0 picks a free one)', '8787')
  .option('--model <path...>', 'local checkpoints (ours: model.safetensors or its directory; Hugging Face directories) to serve over the OpenAI API at /v1')
  .option('--api-key-env <VAR>', 'environment variable holding the API key the /v1 API requires (unset: no key)', 'REPRISE_API_KEY')
  .option('--backend <b>', `tfjs backend for --model: ${BACKEND_HELP}`, 'wasm')
  .option('--max-body-mib <n>', 'larger /v1 request bodies are answered 413 (default 4)')
  .action(async (opts) => {
    await (await import('./cli/serve.js')).serveCommand(opts);
  });

program
  .command('eval')
  .description('evaluate a model on a benchmark spec, resumably (per-sample JSONL, results JSON)')
  .requiredOption('--bench <name>', 'eval spec: math500, aime24/open-r1, … (evals/<bench>/<variant>.yaml)')
  .option('--checkpoint <dir>', 'a local checkpoint (ours: a model.safetensors or its directory; a Hugging Face directory)')
  .option('--endpoint <url...>', 'OpenAI-compatible base URL(s); several are load-balanced')
  .option('--model <name>', 'model name on the endpoint')
  .option('--api-key-env <VAR>', 'environment variable holding the endpoint API key')
  .option('--n <n>', 'samples per problem (default: the spec)')
  .option('--limit <k>', 'only the first k problems')
  .option('--concurrency <c>', 'requests in flight (default 16; 1 for --checkpoint, where they are sampled as one batch)')
  .option('--out <dir>', 'output directory (default reports/evals/<spec>/<model>-<hash>, where the leaderboard reads it)')
  .option('--data-dir <dir>', 'benchmark data directory (default $REPRISE_DATA_DIR or .reprise/data)')
  .option('--timeout <s>', 'per-request timeout in seconds')
  .option('--max-retries <n>', 'retries per request')
  .option('--max-error-rate <r>', 'fraction of samples that may still fail after retries; they are left out of the metrics (default 0: any failure fails the run)')
  .option('--backend <b>', `tfjs backend for --checkpoint: ${BACKEND_HELP} (default wasm)`)
  .option('--json', 'print the results JSON on stdout')
  .action(async (opts) => {
    await (await import('./cli/eval.js')).evalCommand(opts);
  });

program
  .command('generate')
  .description('complete chat prompts with a local model (JSONL in: id, messages; out: + prompt_token_ids, token_ids, text, finish_reason)')
  .requiredOption('--model <dir>', 'a checkpoint directory (ours, or a Hugging Face one)')
  .requiredOption('--input <file>', 'JSONL, one {"id", "messages"} per line')
  .requiredOption('--output <file>', 'where the completions go (resumable; written atomically when all are done)')
  .option('--max-tokens <n>', 'completion tokens at most (default: max_new_tokens of generation_config.json, else 256)')
  .option('--temperature <t>', '0 is greedy (default: generation_config.json, else 1)')
  .option('--top-p <p>', 'nucleus mass (default: generation_config.json, else 1)')
  .option('--top-k <k>', 'keep the k most likely tokens, 0: off (default: generation_config.json, else 0)')
  .option('--seed <s>', 'seed; each row samples from its own stream of (seed, id) (default 0)')
  .option('--batch-size <n>', 'prompts sampled together (default 8; results do not depend on it)')
  .option('--backend <b>', `tfjs backend: ${BACKEND_HELP}`, 'wasm')
  .action(async (opts) => (await import('./cli/generate.js')).generateCommand(opts));

program
  .command('eval-compare')
  .description('paired comparison of two eval output directories on the same problems')
  .argument('<a>', 'eval output directory')
  .argument('<b>', 'eval output directory')
  .option('--metric <m>', 'avg@n | pass@k | maj@k')
  .option('--strict', 'strict extraction')
  .action(async (a: string, b: string, opts) => {
    await (await import('./cli/eval.js')).evalCompareCommand(a, b, opts);
  });

program
  .command('datagen')
  .description('build the datasets of a datagen recipe (recipes/datagen-*/v<N>.yaml)')
  .argument('<recipe>', 'datagen recipe')
  .option('--check', 'rebuild the deterministic datasets and fail, naming the file, where a hash differs from the manifest')
  .option('--out-dir <dir>', "override the recipe's out_dir")
  .option('--data-dir <dir>', "where eval specs' data files are (a distill's benchmark, decontaminate.specs); default $REPRISE_DATA_DIR, else .reprise/data")
  .option('--json', 'print the build result as JSON')
  .action(async (recipe: string, opts) => {
    await (await import('./cli/datagen.js')).datagenCommand(recipe, opts);
  });

const data = program.command('data').description('benchmark data and dataset files');
data
  .command('fetch')
  .description('download a benchmark from the Hugging Face hub at its pinned revision, recording checksums')
  .argument('<bench>', 'benchmark name, e.g. math500')
  .option('--data-dir <dir>', 'where to put it (default $REPRISE_DATA_DIR or .reprise/data)')
  .action(async (bench: string, opts) => {
    await (await import('./cli/data.js')).dataFetchCommand(bench, opts);
  });
data
  .command('validate')
  .description("check an OpenAI fine-tuning JSONL (chat or preference) as OpenAI's checks do, with token counts and a length histogram")
  .argument('<file>', 'chat JSONL')
  .option('--max-tokens <n>', 'per-example limit', '16385')
  .option('--encoding <e>', "OpenAI tokenizer for the counts: o200k_base (default; today's fine-tunable models) or cl100k_base")
  .option('--tokenizer <dir>', "count with a model's own tokenizer and chat template (a Hugging Face checkpoint directory)")
  .option('--json', 'print the full report as JSON')
  .action(async (file: string, opts) => {
    await (await import('./cli/data-validate.js')).dataValidateCommand(file, opts);
  });

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

const rewards = program.command('rewards').description("Reprise's reward registry for other trainers");
rewards
  .command('serve')
  .description('score completions over HTTP with the reward registry (POST /score, GET /rewards), for TRL/open-r1')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--port <port>', 'port (0 picks a free one)', '8788')
  .option('--max-body-mib <n>', 'larger request bodies are answered 413', '64')
  .action(async (opts) => (await import('./cli/rewards.js')).rewardsServeCommand(opts));

program
  .command('export')
  .description('write a recipe as TRL/open-r1 configs (sft.yaml, grpo.yaml), JSONL datasets and a reward module')
  .argument('<format>', 'trl')
  .argument('<recipe>', 'recipe file, e.g. recipes/tiny-r1/v1.yaml')
  .requiredOption('--out <dir>', 'output directory')
  .option('--model <id>', "Hugging Face model id or directory TRL starts from (required when the recipe's model is built from scratch)")
  .option('--rewards-url <url>', 'the reward server the reward module calls', 'http://127.0.0.1:8788')
  .action(async (format: string, recipe: string, opts) => (await import('./cli/export.js')).exportCommand(format, recipe, opts));

program
  .command('validate')
  .description('check a recipe against its schema without running it')
  .argument('<recipe>', 'recipe file')
  .option('--set <key=value...>', 'override a recipe value, keeping its type')
  .action(async (recipe: string, opts) => (await import('./cli/run.js')).validateCommand(recipe, opts));

program.parseAsync().catch((e: unknown) => {
  e = uncaughtFsError(e) ?? e;
  if (e instanceof RepriseError) {
    process.stderr.write(`reprise: error [${e.code}]: ${e.message}\n`);
    process.exit(2);
  }
  // printed here: the wasm backend's own handlers would otherwise dump its whole source on a rethrow
  process.stderr.write(`reprise: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});

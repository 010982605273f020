// The client of the torch worker (workers/torch/PROTOCOL.md, protocol v2): starts `python3 reprise_worker.py`, or
// `accelerate launch --config_file <file> reprise_worker.py` when an accelerate config is named (its processes,
// machines and mixed precision are accelerate's business), speaks JSON lines with zod-checked answers, and turns a
// worker error, a crash, an exit or a timeout into a RepriseError (E_WORKER, E_OOM, E_DEPS…) that names the rank and
// quotes the worker's last stderr lines. Never a number.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { RepriseError } from '../util/errors.js';
import { packagePath } from '../util/paths.js';
import { readAccelerateConfig } from './accelerate-config.js';

export const PROTOCOL_VERSION = 2;

export const workerScript = (): string => process.env.REPRISE_TORCH_WORKER ?? packagePath('workers/torch/reprise_worker.py');
const python = (): string => process.env.REPRISE_PYTHON ?? 'python3';

// ---- dependencies ------------------------------------------------------------------------------------------

export const DepReport = z.object({
  python: z.string(),
  versions: z.record(z.string(), z.string()),
  missing: z.array(z.object({ package: z.string(), error: z.string() })),
});
export type DepReport = z.infer<typeof DepReport>;

let checked: { python: string; report: DepReport } | undefined;

/** Runs `reprise_worker.py --check` (once per process and interpreter); E_DEPS says which packages are missing (and what is there), or that python3 is. */
export function checkTorchDeps(): DepReport {
  if (checked?.python === python()) return checked.report;
  const r = spawnSync(python(), [workerScript(), '--check'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw new RepriseError('E_DEPS', `backend torch needs ${python()} with torch, transformers, peft and accelerate: ${r.error.message}`, 'install Python 3 (or set REPRISE_PYTHON)');
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let report: DepReport;
  try {
    report = DepReport.parse(JSON.parse(line));
  } catch {
    throw new RepriseError('E_WORKER', `${workerScript()} --check printed no dependency report (exit ${r.status}): ${tail(r.stderr + r.stdout)}`);
  }
  if (report.missing.length) {
    const have = Object.entries(report.versions).map(([k, v]) => `${k} ${v}`).join(', ');
    throw new RepriseError('E_DEPS', `backend torch: Python ${report.python} (${python()}) lacks ${report.missing.map((m) => `${m.package} (${m.error})`).join('; ')}${have ? `; found ${have}` : ''}`, 'pip install torch transformers peft accelerate (the GPU machine has torch 2.11, transformers 5.17, peft 0.21, accelerate 1.15)');
  }
  checked = { python: python(), report };
  return report;
}

// ---- accelerate ------------------------------------------------------------------------------------------

export interface Launch {
  command: string;
  args: string[];
  /** Processes the worker runs as (all machines). */
  world: number;
  /** The config's distributed_type is FSDP: the worker must say so in its hello. */
  fsdp?: true;
}

/** How the worker is started: one Python process, or accelerate launch with the config file. */
export function launchOf(accelerateConfig?: string): Launch {
  if (!accelerateConfig) return { command: python(), args: ['-u', workerScript()], world: 1 };
  const c = readAccelerateConfig(accelerateConfig);
  // REPRISE_ACCELERATE: another launcher command, e.g. "python3 -m accelerate.commands.launch" where no `accelerate` is on PATH
  const [command, ...pre] = (process.env.REPRISE_ACCELERATE ?? 'accelerate launch').trim().split(/\s+/);
  return { command, args: [...pre, '--config_file', accelerateConfig, workerScript()], world: c.num_processes, ...(c.fsdp ? { fsdp: true as const } : {}) };
}

// ---- the protocol ------------------------------------------------------------------------------------------

const WireError = z.object({ code: z.string(), rank: z.number().nullable().optional(), message: z.string(), trace: z.string().optional() });
const Answer = z.union([
  z.object({ id: z.unknown(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.unknown(), ok: z.literal(false), error: WireError }),
]);

export const Hello = z.object({ protocol: z.number(), worker: z.string(), python: z.string(), versions: z.record(z.string(), z.string()), world_size: z.number().int(), device: z.string(), mixed_precision: z.string(), pids: z.array(z.number().int()), fsdp: z.record(z.string(), z.unknown()).nullable().optional() });
export const Loaded = z.object({ trainable: z.number(), total: z.number(), device: z.string(), dtype: z.string(), world_size: z.number() });
export const Generated = z.object({ tokens: z.array(z.array(z.number().int())), finished: z.array(z.boolean()) });
export const Logprobs = z.object({ logprobs: z.array(z.number()) });
export const Stepped = z.object({ loss: z.number(), grad_norm: z.number(), clip_frac: z.number(), kl: z.number(), entropy: z.number(), peak_mem_bytes: z.number().optional() });
export const Saved = z.object({ path: z.string(), files: z.array(z.string()), layout: z.enum(['peft', 'hf']), merged: z.object({ path: z.string(), files: z.array(z.string()) }).optional() });

/** Flat row-major [B, T] arrays, as PackedBatch holds them. */
export interface BatchBody {
  B: number;
  T: number;
  inputs: number[];
  targets: number[];
  mask?: number[];
}
export interface LoadRequest {
  path: string;
  dtype: 'float32' | 'bfloat16' | 'float16';
  seed?: number;
  lora?: { r: number; lora_alpha: number; lora_dropout: number; target_modules: string[] | string; use_rslora: boolean };
  /** A PEFT checkpoint directory to continue from, and its optimizer.pt. */
  adapter?: string;
  optimizer_state?: string;
  optimizer?: { lr: number; beta1: number; beta2: number; eps: number; weight_decay: number };
}
export interface GenerateRequest {
  prompts: number[][];
  seeds: number[];
  max_tokens: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  eos_ids?: readonly number[];
  stop_ids?: readonly number[];
  adapter?: boolean;
  micro_batch?: number;
}
export interface LogprobsRequest extends BatchBody {
  temperature?: number;
  micro_batch?: number;
  adapter?: boolean;
}
export interface StepRequest extends BatchBody {
  mask: number[];
  loss: 'sft' | 'grpo';
  lr?: number;
  grad_clip?: number;
  micro_batch?: number;
  adv?: number[];
  weights?: number[];
  old_logp?: number[];
  ref_logp?: number[];
  settings?: { loss_type: string; max_tokens: number; epsilon_low: number; epsilon_high: number; beta: number; temperature: number };
}
export interface SaveRequest {
  path: string;
  merged?: string;
  optimizer?: boolean;
  state?: Record<string, unknown>;
}

function tail(text: string, n = 20): string {
  const lines = text.trimEnd().split('\n').filter((l) => l.trim());
  return lines.length ? '\n  ' + lines.slice(-n).join('\n  ') : ' (no output)';
}

/** torchrun's failure summary names the rank that died: "rank      : 1 (local_rank: 1)". */
export function failedRank(stderr: string): number | undefined {
  const m = /\brank\s*:\s*(\d+)\s*\(local_rank/.exec(stderr) ?? /\[rank(\d+)\]/.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

export interface StartOptions {
  accelerateConfig?: string;
  /** Seconds an answer may take before the worker is killed (default REPRISE_WORKER_TIMEOUT, else 1800). */
  timeoutS?: number;
  env?: Record<string, string>;
}

export class TorchWorker {
  private nextId = 1;
  private stderr = '';
  private exited?: string;
  private waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; cmd: string }>();

  private constructor(private readonly proc: ChildProcess, readonly launch: Launch, private readonly timeoutS: number) {
    createInterface({ input: proc.stdout! }).on('line', (line) => this.onLine(line));
    proc.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
      if (process.env.REPRISE_WORKER_STDERR) process.stderr.write(d);
    });
    proc.on('exit', (code, signal) => this.onExit(`exited with ${signal ? `signal ${signal}` : `code ${code}`}`));
    proc.on('error', (e) => this.onExit(`could not start: ${e.message}`));
    proc.stdin!.on('error', () => {}); // a dead worker is reported by its exit
  }

  /** Starts a launch as is (its own process group, so a kill reaches accelerate's ranks); start() checks first. */
  static spawn(launch: Launch, opts: Omit<StartOptions, 'accelerateConfig'> = {}): TorchWorker {
    const proc = spawn(launch.command, launch.args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env, PYTHONUNBUFFERED: '1', ...opts.env } });
    return new TorchWorker(proc, launch, opts.timeoutS ?? 1800);
  }

  /** Checks the dependencies, starts the worker and says hello (the protocol versions must agree). */
  static async start(opts: StartOptions = {}): Promise<{ worker: TorchWorker; hello: z.infer<typeof Hello> }> {
    const launch = launchOf(opts.accelerateConfig);
    checkTorchDeps();
    const worker = TorchWorker.spawn(launch, opts);
    const hello = await worker.request('hello', { protocol: PROTOCOL_VERSION }, Hello);
    if (hello.world_size !== launch.world) {
      await worker.close();
      throw new RepriseError('E_WORKER', `the accelerate config asks for ${launch.world} processes but the worker runs as ${hello.world_size}`, `check ${opts.accelerateConfig}: ${launch.command} ${launch.args.join(' ')}`);
    }
    if (Boolean(launch.fsdp) !== Boolean(hello.fsdp)) {
      await worker.close();
      throw new RepriseError('E_WORKER', `the accelerate config ${launch.fsdp ? 'asks for' : 'does not ask for'} FSDP but the worker ${hello.fsdp ? 'runs' : 'does not run'} it (accelerate launch sets ACCELERATE_USE_FSDP)`, `check ${opts.accelerateConfig}: ${launch.command} ${launch.args.join(' ')}`);
    }
    return { worker, hello };
  }

  private onLine(line: string): void {
    let answer: z.infer<typeof Answer>;
    try {
      answer = Answer.parse(JSON.parse(line));
    } catch {
      this.failAll(new RepriseError('E_WORKER', `the torch worker wrote a line that is not a protocol answer: ${line.slice(0, 300)}`));
      return;
    }
    const id = typeof answer.id === 'number' ? answer.id : [...this.waiting.keys()][0];
    const w = id === undefined ? undefined : this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id!);
    if (answer.ok) w.resolve(answer.result);
    else {
      const e = answer.error;
      w.reject(new RepriseError(e.code, `torch worker, rank ${e.rank ?? '?'}, ${w.cmd}: ${e.message}${e.code === 'E_INPUT' || e.code === 'E_STATE' ? '' : tail(this.stderr, 8)}`));
    }
  }

  private onExit(how: string): void {
    if (this.exited) return;
    this.exited = `(${this.launch.command} ${this.launch.args.join(' ')}) ${how}`;
    const rank = failedRank(this.stderr);
    const oom = /out of memory/i.test(this.stderr);
    this.failAll(new RepriseError(oom ? 'E_OOM' : 'E_WORKER', `the torch worker ${this.exited}${rank !== undefined ? `; rank ${rank} failed` : ''}; its last stderr lines:${tail(this.stderr)}`));
  }

  private failAll(e: Error): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  /** One request; the answer's result is checked against `schema`. */
  request<S extends z.ZodType>(cmd: string, body: Record<string, unknown>, schema: S): Promise<z.infer<S>> {
    if (this.exited) return Promise.reject(new RepriseError('E_WORKER', `the torch worker ${this.exited}; ${cmd} cannot be sent${tail(this.stderr)}`));
    const id = this.nextId++;
    return new Promise<z.infer<S>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new RepriseError('E_WORKER', `the torch worker gave no answer to ${cmd} within ${this.timeoutS} s (a rank may be stuck or gone; REPRISE_RANK_TIMEOUT bounds the ranks' waits); killed. Last stderr lines:${tail(this.stderr)}`));
        this.kill();
      }, this.timeoutS * 1000);
      this.waiting.set(id, {
        cmd,
        resolve: (v) => {
          clearTimeout(timer);
          const r = schema.safeParse(v);
          if (r.success) resolve(r.data);
          else reject(new RepriseError('E_WORKER', `the torch worker's answer to ${cmd} does not match protocol ${PROTOCOL_VERSION}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`));
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.stdin!.write(JSON.stringify({ id, cmd, ...body }) + '\n');
    });
  }

  load = (r: LoadRequest) => this.request('load', { ...r }, Loaded);
  generate = (r: GenerateRequest) => this.request('generate', { ...r }, Generated);
  logprobs = (r: LogprobsRequest) => this.request('logprobs', { ...r }, Logprobs).then((x) => x.logprobs);
  step = (r: StepRequest) => this.request('step', { ...r }, Stepped);
  save = (r: SaveRequest) => this.request('save', { ...r }, Saved);

  private kill(): void {
    try {
      process.kill(-this.proc.pid!, 'SIGKILL'); // the process group: accelerate's ranks too
    } catch {
      this.proc.kill('SIGKILL');
    }
  }

  /** Asks the worker to exit; kills it if it has not within 30 s. */
  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    const timer = setTimeout(() => this.kill(), 30_000);
    try {
      await this.request('shutdown', {}, z.object({}));
    } catch {
      this.kill();
    }
    await gone;
    clearTimeout(timer);
  }

  get lastStderr(): string {
    return this.stderr;
  }
}

// SFT and GRPO with `backend: torch`: the loop stays here (prompts, batches, rewards, group advantages, loss
// weights, schedule, logging, checkpoints) and the torch worker (torch-worker.ts) does generate / logprobs / step /
// save. A stage writes its checkpoints as PEFT adapters (ckpt-<step>/, with optimizer.pt and reprise_state.json);
// a killed run restarts the worker from the last one. At the end it writes adapter/ (PEFT) and model/ (merged,
// Hugging Face layout, with the base's tokenizer files), which the next stage and the tfjs eval read.

import { copyFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { GrpoConfig, SftConfig } from '../config/recipe.js';
import { loadHfTokenizer } from '../model/hf-tokenizer.js';
import { loadChatTemplate } from '../model/chat-template.js';
import { readDecoderConfig } from '../model/hf-model.js';
import { readGenerationConfig } from '../model/hf-config.js';
import { TOKENIZER_FILES } from '../model/hf-save.js';
import type { LoraSettings } from '../model/lora.js';
import { templateCodec, type ChatCodec } from '../model/policy.js';
import type { ChatMessage } from '../model/tokenizer.js';
import { InputError } from '../util/errors.js';
import { appendJsonl, readJson, readJsonl, readJsonlTolerant, writeJsonlAtomic } from '../util/fs.js';
import { Progress } from '../util/progress.js';
import { rewardFnsOf, rewardRow, scoreSamples } from './grpo-rewards.js';
import { Rng } from '../util/rng.js';
import { packBatch, type PackedBatch } from './batch.js';
import { batchIndices } from './sft.js';
import { groupAdvantages, tokenWeights } from './grpo-loss.js';
import { lrAt } from './schedule.js';
import { TorchWorker } from './torch-worker.js';
import type { GrpoPrompt } from './grpo.js';

export interface TorchStageModel {
  /** The checkpoint directory the stage starts from (Hugging Face layout). */
  path: string;
  lora: LoraSettings;
  accelerateConfig?: string;
}

/** The chat codec of a checkpoint directory, without loading its weights in tfjs. */
export function dirCodec(dir: string): { codec: ChatCodec; maxContext: number } {
  const tok = loadHfTokenizer(dir);
  const template = loadChatTemplate(dir, tok);
  if (!template) throw new InputError('the checkpoint has no chat template (neither chat_template.jinja nor chat_template in tokenizer_config.json)', { file: dir });
  const { decoder } = readDecoderConfig(dir);
  const eos = readGenerationConfig(dir).eos_token_ids ?? (decoder.eos_token_ids.length ? decoder.eos_token_ids : tok.eosIds);
  return { codec: templateCodec(tok, template, eos), maxContext: decoder.max_position_embeddings };
}

interface Ckpt {
  dir: string;
  step: number;
  elapsed_s: number;
}

/** The stage's newest checkpoint (ckpt-<step>/ with reprise_state.json), if any. */
export function lastCheckpoint(stageDir: string): Ckpt | undefined {
  const found = existsSync(stageDir) ? readdirSync(stageDir).filter((f) => /^ckpt-\d+$/.test(f) && existsSync(join(stageDir, f, 'reprise_state.json'))) : [];
  const best = found.map((f) => ({ dir: join(stageDir, f), ...readJson<{ step: number; elapsed_s: number }>(join(stageDir, f, 'reprise_state.json')) })).sort((a, b) => b.step - a.step)[0];
  return best;
}

const flat = (a: ArrayLike<number>) => Array.from(a);
const batchBody = (b: PackedBatch) => ({ B: b.B, T: b.T, inputs: flat(b.inputs), targets: flat(b.targets), mask: flat(b.mask) });

interface Opened {
  worker: TorchWorker;
  resumed: Ckpt;
  /** What the stage ran on, for its outputs (provenance). */
  ran: { backend: 'torch'; world_size: number; sharding: 'fsdp' | 'none'; device: string; mixed_precision: string; versions: Record<string, string> };
}

async function open(m: TorchStageModel, cfg: SftConfig | GrpoConfig, seed: number, dir: string, logFile: string): Promise<Opened> {
  const { worker, hello } = await TorchWorker.start({ accelerateConfig: m.accelerateConfig });
  try {
    const last = lastCheckpoint(dir);
    const optimizer = { lr: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: 1e-8, weight_decay: cfg.weight_decay };
    if (cfg.optimizer !== 'adamw') throw new InputError(`backend torch trains with AdamW; optimizer ${cfg.optimizer} is tfjs only`, { field: 'optimizer' });
    await worker.load({ path: m.path, dtype: 'float32', seed, lora: m.lora, optimizer, ...(last ? { adapter: last.dir, optimizer_state: join(last.dir, 'optimizer.pt') } : {}) });
    const { rows } = readJsonlTolerant<{ step: number }>(logFile);
    writeJsonlAtomic(logFile, last ? rows.filter((r) => r.step < last.step) : []);
    const ran = { backend: 'torch' as const, world_size: hello.world_size, sharding: hello.fsdp ? ('fsdp' as const) : ('none' as const), device: hello.device, mixed_precision: hello.mixed_precision, versions: { python: hello.python, ...hello.versions } };
    return { worker, resumed: last ?? { dir: '', step: 0, elapsed_s: 0 }, ran };
  } catch (e) {
    await worker.close();
    throw e;
  }
}

async function checkpoint(worker: TorchWorker, dir: string, step: number, elapsed_s: number): Promise<void> {
  // one already there is a killed run's, written after the checkpoint this run resumed from
  rmSync(join(dir, `ckpt-${step}`), { recursive: true, force: true });
  await worker.save({ path: join(dir, `ckpt-${step}`), optimizer: true, state: { step, elapsed_s } });
  for (const f of readdirSync(dir)) if (/^ckpt-\d+$/.test(f) && f !== `ckpt-${step}`) rmSync(join(dir, f), { recursive: true, force: true });
}

async function finish(worker: TorchWorker, base: string, dir: string): Promise<{ adapter: string; merged: string }> {
  const adapter = join(dir, 'adapter');
  const merged = join(dir, 'model');
  for (const p of [adapter, merged]) rmSync(p, { recursive: true, force: true }); // a run killed while saving
  await worker.save({ path: adapter, merged });
  for (const f of TOKENIZER_FILES) if (existsSync(join(base, f)) && !existsSync(join(merged, f))) copyFileSync(join(base, f), join(merged, f));
  return { adapter, merged };
}

export async function torchSftStage(m: TorchStageModel, cfg: SftConfig, seed: number, dataPath: string, dir: string): Promise<Record<string, unknown>> {
  const { codec, maxContext } = dirCodec(m.path);
  const examples = readJsonl<{ messages: ChatMessage[] }>(dataPath).map((c) => codec.encodeChat(c.messages));
  const logFile = join(dir, 'log.jsonl');
  const { worker, resumed, ran } = await open(m, cfg, seed, dir, logFile);
  const progress = new Progress({ label: 'sft (torch)', total: cfg.steps, unit: 'steps', logFile: join(dir, 'progress.jsonl') });
  progress.resumeAt(resumed.step);
  const schedule = { lr: cfg.lr, warmup_steps: cfg.warmup_steps, total_steps: cfg.steps, min_lr_ratio: cfg.min_lr_ratio };
  const t0 = Date.now();
  let tokens = 0;
  try {
    for (let step = resumed.step; step < cfg.steps; step++) {
      const batch = packBatch(batchIndices(step, cfg.batch_size, examples.length, seed).map((i) => examples[i]), codec.pad, maxContext);
      const lr = lrAt(step, schedule);
      const ts = Date.now();
      const r = await worker.step({ ...batchBody(batch), loss: 'sft', lr, grad_clip: cfg.grad_clip });
      const stepS = (Date.now() - ts) / 1000;
      const n = batch.mask.reduce((a, b) => a + b, 0);
      tokens += n;
      const elapsed = (Date.now() - t0) / 1000;
      if (step % cfg.log_every === 0 || step === cfg.steps - 1) {
        appendJsonl(logFile, { step, loss: r.loss, lr, grad_norm: r.grad_norm, tokens_per_s: tokens / elapsed, elapsed_s: resumed.elapsed_s + elapsed, step_s: stepS, step_tokens: batch.B * batch.T, peak_mem_bytes: r.peak_mem_bytes ?? null });
      }
      progress.update(step + 1, { loss: r.loss, lr });
      if ((step + 1) % cfg.checkpoint_every === 0 || step === cfg.steps - 1) await checkpoint(worker, dir, step + 1, resumed.elapsed_s + elapsed);
    }
    const train_s = (Date.now() - t0) / 1000;
    return { ...(await finish(worker, m.path, dir)), steps: cfg.steps, train_s: resumed.elapsed_s + train_s, tokens_per_s: tokens / Math.max(train_s, 1e-9), ...ran };
  } finally {
    await worker.close();
  }
}

/** The seed of row `i` of step `step`'s samples: a row's completion is the same in any batch and on any number of ranks. */
export const sampleSeed = (seed: number, step: number, i: number) => new Rng(`grpo-sample/${seed}/${step}/${i}`).int(0, 2 ** 31 - 1);

/** GRPO with fresh adapters on the previous stage's merged model, which (adapters off) is also the KL reference. */
export async function torchGrpoStage(m: TorchStageModel, cfg: GrpoConfig, seed: number, dataPath: string, dir: string): Promise<Record<string, unknown>> {
  const { codec, maxContext } = dirCodec(m.path);
  const prompts = readJsonl<GrpoPrompt>(dataPath);
  const G = cfg.group_size;
  const rewardFns = rewardFnsOf(cfg);
  const logFile = join(dir, 'log.jsonl');
  const { worker, resumed, ran } = await open(m, cfg, seed, dir, logFile);
  const progress = new Progress({ label: 'grpo (torch)', total: cfg.steps, unit: 'steps', logFile: join(dir, 'progress.jsonl') });
  progress.resumeAt(resumed.step);
  const order = new Rng(`grpo-order/${seed}`).shuffle([...prompts.keys()]);
  const schedule = { lr: cfg.lr, warmup_steps: cfg.warmup_steps, total_steps: cfg.steps, min_lr_ratio: cfg.min_lr_ratio };
  const epsHigh = cfg.epsilon_high ?? cfg.epsilon;
  const settings = { loss_type: cfg.loss_type, max_tokens: cfg.max_tokens, epsilon_low: cfg.epsilon, epsilon_high: epsHigh, beta: cfg.beta, temperature: cfg.temperature };
  const mb = cfg.micro_batch_size;
  const t0 = Date.now();
  let sampled = 0;
  let sampleSecs = 0;
  try {
    for (let step = resumed.step; step < cfg.steps; step++) {
      // 1. sample G completions for each of this step's prompts
      const ps = Array.from({ length: cfg.prompts_per_step }, (_, i) => prompts[order[(step * cfg.prompts_per_step + i) % order.length]]);
      const promptIds = ps.flatMap((p) => Array<number[]>(G).fill(codec.encodePrompt(p.messages)));
      const ts = Date.now();
      const gen = await worker.generate({ prompts: promptIds, seeds: promptIds.map((_, i) => sampleSeed(seed, step, i)), temperature: cfg.temperature, top_p: cfg.top_p, max_tokens: cfg.max_tokens, eos_ids: codec.eosIds, micro_batch: mb });
      const sampleS = (Date.now() - ts) / 1000;
      sampleSecs += sampleS;
      // 2. rewards, per function and weighted total
      const texts = gen.tokens.map((t, i) => codec.prefill(ps[Math.floor(i / G)].messages) + codec.decode(t));
      const lengths = gen.tokens.map((t) => t.length);
      const { perFn, total } = await scoreSamples(rewardFns, ps, G, texts, lengths, gen.finished);
      // 3. group-relative advantages; 4. the batch, loss weights over the whole batch
      const adv = groupAdvantages(total, G, cfg.scale_rewards);
      const batch = packBatch(promptIds.map((prompt, i) => ({ prompt, completion: gen.tokens[i] })), codec.pad, maxContext);
      const advTok = new Float32Array(batch.B * batch.T);
      for (let s = 0; s < batch.B; s++) advTok.fill(adv[s], s * batch.T, (s + 1) * batch.T);
      const weights = tokenWeights(batch.mask, batch.B, batch.T, cfg.loss_type, cfg.max_tokens);
      sampled += batch.mask.reduce((a, b) => a + b, 0);
      const lp = (adapter: boolean) => worker.logprobs({ ...batchBody(batch), temperature: cfg.temperature, micro_batch: mb, adapter });
      const oldLogp = cfg.ppo_epochs > 1 ? await lp(true) : undefined;
      const refLogp = cfg.beta > 0 ? await lp(false) : undefined;
      const lr = lrAt(step, schedule);
      // 5. policy-gradient passes
      const agg = { loss: 0, grad_norm: 0, clip_frac: 0, kl: 0, entropy: 0, step_s: 0, peak: 0 };
      for (let epoch = 0; epoch < cfg.ppo_epochs; epoch++) {
        const tsStep = Date.now();
        const r = await worker.step({ ...batchBody(batch), loss: 'grpo', adv: flat(advTok), weights: flat(weights), old_logp: oldLogp, ref_logp: refLogp, settings, micro_batch: mb, lr, grad_clip: cfg.grad_clip });
        agg.step_s += (Date.now() - tsStep) / 1000;
        for (const k of ['loss', 'grad_norm', 'clip_frac'] as const) agg[k] += r[k] / cfg.ppo_epochs;
        if (epoch === 0) Object.assign(agg, { kl: r.kl, entropy: r.entropy });
        agg.peak = Math.max(agg.peak, r.peak_mem_bytes ?? 0);
      }
      // 6. log
      const row: Record<string, number | null> = { step, loss: agg.loss, lr, grad_norm: agg.grad_norm, kl: agg.kl, clip_frac: agg.clip_frac, entropy: agg.entropy, ...rewardRow(perFn, total, lengths, gen.finished) };
      Object.assign(row, { sample_s: sampleS, step_s: agg.step_s, sample_tokens: batch.mask.reduce((a, b) => a + b, 0), peak_mem_bytes: agg.peak || null });
      row.elapsed_s = resumed.elapsed_s + (Date.now() - t0) / 1000;
      appendJsonl(logFile, row);
      progress.update(step + 1, { reward: row['reward/total/mean'] ?? NaN, kl: agg.kl });
      if ((step + 1) % cfg.checkpoint_every === 0 || step === cfg.steps - 1) await checkpoint(worker, dir, step + 1, row.elapsed_s);
    }
    const train_s = resumed.elapsed_s + (Date.now() - t0) / 1000;
    return { ...(await finish(worker, m.path, dir)), steps: cfg.steps, train_s, sample_tokens_per_s: sampled / Math.max(sampleSecs, 1e-9), ...ran };
  } finally {
    await worker.close();
  }
}

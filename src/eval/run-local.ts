// Evaluates a local model on a problem set: n samples per problem at temperature > 0 plus one greedy
// completion, each record appended to a per-sample JSONL as its batch completes, so a killed eval resumes
// without redoing or duplicating samples.

import { gptLM, type LocalModel } from '../inference/local.js';
import type { ChatMessage } from '../inference/local.js';
import type { EvalConfig } from '../config/recipe.js';
import { sampleBatch, type SampleResult, type SamplingParams } from '../inference/sample.js';
import type { GenerationModel } from '../inference/generation-model.js';
import { gradeMath } from '../verify/grade-math.js';
import { isR1Format } from '../verify/format.js';
import { Rng } from '../util/rng.js';
import { appendJsonl, readJsonlTolerant, writeJsonlAtomic } from '../util/fs.js';
import { Progress } from '../util/progress.js';
import type { SampleRecord } from './score.js';

export interface EvalProblem {
  id: string;
  messages: ChatMessage[];
  answer: string;
}

/** What the local eval needs of a model: prompts, batched sampling, and the completion's text as scored. */
export interface EvalModel {
  prompt(messages: readonly ChatMessage[]): number[];
  sample(prompts: number[][], s: SamplingParams, rows: Rng[]): SampleResult[];
  /** The scored text: a template's prefill (R1's "<think>\n") + the decoded completion. */
  text(messages: readonly ChatMessage[], ids: number[]): string;
}

export function gptEvalModel(model: LocalModel): EvalModel {
  const tok = model.tokenizer;
  return {
    prompt: (messages) => tok.encodePrompt(messages),
    sample: (prompts, s, rows) => sampleBatch(gptLM(model), prompts, s, tok.eos, tok.pad, rows),
    text: (_messages, ids) => tok.decode(ids),
  };
}

/** A Hugging Face model: prompts as apply_chat_template(add_generation_prompt=True, tokenize=True) makes them. */
export function hfEvalModel(g: GenerationModel): EvalModel {
  const msgs = (ms: readonly ChatMessage[]) => ms.map((m) => ({ role: m.role, content: m.content }));
  return {
    prompt: (messages) => g.tokenizer.encode(g.template.render(msgs(messages), { add_generation_prompt: true }), { add_special_tokens: false }),
    sample: (prompts, s, rows) => g.sample(prompts, s, rows),
    text: (messages, ids) => g.template.generationPrefix(msgs(messages)) + g.tokenizer.decode(ids, { skip_special_tokens: true }),
  };
}

export async function evalLocal(opts: {
  model: EvalModel;
  problems: readonly EvalProblem[];
  cfg: EvalConfig;
  seed: number;
  samplesFile: string;
  label: string;
}): Promise<{ records: SampleRecord[]; sampled_tokens: number; sample_s: number }> {
  const { model, problems, cfg, seed, samplesFile, label } = opts;
  // keep complete, de-duplicated records; a torn last line is dropped and its sample redone
  const { rows } = readJsonlTolerant<SampleRecord>(samplesFile);
  const done = new Map<string, SampleRecord>();
  for (const r of rows) done.set(`${r.problem_id}#${r.sample}`, r);
  writeJsonlAtomic(samplesFile, [...done.values()]);
  const jobs: { p: EvalProblem; sample: number }[] = [];
  for (const p of problems) for (let s = -1; s < cfg.n_samples; s++) if (!done.has(`${p.id}#${s}`)) jobs.push({ p, sample: s });
  const total = problems.length * (cfg.n_samples + 1);
  const progress = new Progress({ label: `eval ${label}`, total, unit: 'samples' });
  progress.resumeAt(total - jobs.length);
  let correct = [...done.values()].filter((r) => r.sample >= 0 && r.correct).length;
  let judged = [...done.values()].filter((r) => r.sample >= 0).length;
  let tokens = 0;
  let finished = total - jobs.length;
  const t0 = Date.now();
  // greedy and sampled rows run in separate batches (different temperature)
  for (const greedy of [true, false]) {
    const mine = jobs.filter((j) => (j.sample === -1) === greedy);
    for (let i = 0; i < mine.length; i += cfg.batch_size) {
      const batch = mine.slice(i, i + cfg.batch_size);
      const res = model.sample(
        batch.map((j) => model.prompt(j.p.messages)),
        { temperature: greedy ? 0 : cfg.temperature, top_p: cfg.top_p, max_tokens: cfg.max_tokens },
        batch.map((j) => new Rng(`eval/${seed}/${j.p.id}/${j.sample}`)),
      );
      res.forEach((r, k) => {
        const { p, sample } = batch[k];
        const completion = model.text(p.messages, r.tokens);
        const { pred, rule, correct: ok } = gradeMath(p.answer, completion, { strict: true, finished: r.finished });
        const rec: SampleRecord = {
          problem_id: p.id,
          sample,
          prompt: p.messages.map((m) => m.content).join('\n'),
          completion,
          pred,
          rule,
          gold: p.answer,
          correct: ok,
          format_ok: isR1Format(completion),
          tokens: r.tokens.length,
          finished: r.finished,
        };
        appendJsonl(samplesFile, rec);
        done.set(`${p.id}#${sample}`, rec);
        tokens += r.tokens.length;
        if (sample >= 0) {
          judged++;
          if (rec.correct) correct++;
        }
      });
      finished += batch.length;
      progress.update(finished, { acc: judged ? correct / judged : 0 });
    }
  }
  return { records: [...done.values()], sampled_tokens: tokens, sample_s: (Date.now() - t0) / 1000 };
}

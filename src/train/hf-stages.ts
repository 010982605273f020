// SFT and GRPO stages for a Hugging Face checkpoint trained with LoRA: the directory's tokenizer and chat template
// make the codec, fresh adapters are trained, and each stage writes its adapter in PEFT's layout (adapter/, on the
// stage's base) and the merged model in Hugging Face's (model/, which the next stage starts from).

import { join, resolve } from 'node:path';
import type { GrpoConfig, SftConfig } from '../config/recipe.js';
import type { BackendName } from '../model/backend.js';
import { loadHfModel, type HfModel } from '../model/hf-model.js';
import { loadHfTokenizer } from '../model/hf-tokenizer.js';
import { loadChatTemplate } from '../model/chat-template.js';
import { attachLora, saveAdapter, type LoraSettings } from '../model/lora.js';
import { saveHfModel } from '../model/hf-save.js';
import { hfPolicy, templateCodec, type Policy } from '../model/policy.js';
import type { ChatMessage } from '../model/tokenizer.js';
import { InputError } from '../util/errors.js';
import { readJsonl } from '../util/fs.js';
import { trainSft } from './sft.js';
import { trainGrpo, type GrpoPrompt } from './grpo.js';

export interface HfStageModel {
  /** The checkpoint directory the stage starts from. */
  path: string;
  lora: LoraSettings;
  backend: BackendName;
}

/** The model with fresh adapters, and its policy (codec from the directory's tokenizer and chat template). */
export async function loadHfPolicy(m: HfStageModel, seed: number): Promise<{ model: HfModel; policy: Policy }> {
  const tok = loadHfTokenizer(m.path);
  const template = loadChatTemplate(m.path, tok);
  if (!template) throw new InputError('the checkpoint has no chat template (neither chat_template.jinja nor chat_template in tokenizer_config.json)', { file: m.path, hint: 'SFT and GRPO format conversations with it; add one to the directory' });
  const model = await loadHfModel(m.path, { backend: m.backend });
  attachLora(model, m.lora, seed);
  const eos = model.config.eos_token_ids.length ? model.config.eos_token_ids : tok.eosIds;
  return { model, policy: hfPolicy(model, templateCodec(tok, template, eos)) };
}

async function finish(model: HfModel, base: string, dir: string): Promise<{ adapter: string; merged: string }> {
  const adapter = join(dir, 'adapter');
  const merged = join(dir, 'model');
  await saveAdapter(model, adapter, base);
  await saveHfModel(model, merged, { tokenizerFrom: base });
  model.dispose();
  return { adapter, merged };
}

/** backend: torch — the same loop's stage on the torch worker (torch-stages.ts). */
async function onTorch(m: HfStageModel, cfg: SftConfig | GrpoConfig) {
  return { mod: await import('./torch-stages.js'), model: { path: m.path, lora: m.lora, accelerateConfig: cfg.accelerate_config && resolve(cfg.accelerate_config) } };
}

export async function hfSftStage(m: HfStageModel, cfg: SftConfig, seed: number, dataPath: string, dir: string): Promise<Record<string, unknown>> {
  if (cfg.backend === 'torch') {
    const t = await onTorch(m, cfg);
    return t.mod.torchSftStage(t.model, cfg, seed, dataPath, dir);
  }
  const { model, policy } = await loadHfPolicy(m, seed);
  const conversations = readJsonl<{ messages: ChatMessage[] }>(dataPath);
  const r = await trainSft({ model: policy, conversations, cfg, seed, ckpt: join(dir, 'ckpt.safetensors'), logFile: join(dir, 'log.jsonl'), progressLog: join(dir, 'progress.jsonl') });
  return { ...(await finish(model, m.path, dir)), ...r };
}

/** GRPO with fresh adapters on the previous stage's merged model, which (adapters off) is also the KL reference. */
export async function hfGrpoStage(m: HfStageModel, cfg: GrpoConfig, seed: number, dataPath: string, dir: string): Promise<Record<string, unknown>> {
  if (cfg.backend === 'torch') {
    const t = await onTorch(m, cfg);
    return t.mod.torchGrpoStage(t.model, cfg, seed, dataPath, dir);
  }
  const { model, policy } = await loadHfPolicy(m, seed);
  const prompts = readJsonl<GrpoPrompt>(dataPath).map((r): GrpoPrompt => ({ id: r.id, messages: r.messages, answer: r.answer }));
  const reference = cfg.beta > 0 ? model.base() : undefined;
  const r = await trainGrpo({ model: policy, reference, prompts, cfg, seed, ckpt: join(dir, 'ckpt.safetensors'), logFile: join(dir, 'log.jsonl'), progressLog: join(dir, 'progress.jsonl') });
  return { ...(await finish(model, m.path, dir)), ...r };
}

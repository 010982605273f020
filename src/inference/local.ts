// Local models as a source of completions: the backend, and checkpoints loaded for sampling.

export { initBackend, BACKENDS, type BackendName } from '../model/backend.js';
export { loadModel, disposeModel, gptLM, type LocalModel } from '../model/lm.js';
export type { ChatMessage } from '../model/tokenizer.js';

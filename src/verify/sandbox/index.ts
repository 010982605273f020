// The code sandbox's public face: run untrusted programs (run.ts), what this machine isolates (isolation.ts),
// removing what dead processes left (lifetime.ts).

export { runProgram, runMany, setConcurrency, defaultConcurrency, stopAll, DEFAULT_LIMITS } from './run.js';
export { sweepOnce } from './lifetime.js';
export type { Swept } from './lifetime.js';
export type { RunRequest, RunResult, RunStatus, SandboxOptions } from './run.js';
export { isolation } from './isolation.js';
export type { Isolation, Mode } from './isolation.js';
export { isLanguage, LANGUAGES } from './harness.js';
export type { Language } from './harness.js';

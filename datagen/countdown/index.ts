// The countdown dataset family as the pipeline and `reprise datagen` see it: chat rows with gold `[nums]:target`.

import type { DatasetFamily } from '../types.js';
import { DEFAULT_PARAMS, GENERATOR_VERSION, TASK_CHARS, generateSplits, teacherTrace, type CountdownParams } from './generator.js';

export const countdown: DatasetFamily = {
  name: 'countdown',
  version: GENERATOR_VERSION,
  chars: TASK_CHARS,
  describe: 'Countdown (TinyZero): reach the target from 3–4 numbers with + - * /, each number used exactly once',
  // the product of four 4-digit numbers stays below 2^53, so the solver's arithmetic is exact
  maxDigits: 4,
  verifier: 'countdown',
  params: { ...DEFAULT_PARAMS },
  generate(seed, splits, params) {
    const p = { ...DEFAULT_PARAMS, ...params } as CountdownParams;
    const names = Object.keys(splits);
    const drawn = generateSplits(seed, names.map((name) => ({ name, ...splits[name] })), p);
    const out: ReturnType<DatasetFamily['generate']> = {};
    for (const name of names) {
      out[name] = drawn[name].map((q) => ({
        id: q.id,
        messages: [{ role: 'user' as const, content: q.question }, { role: 'assistant' as const, content: teacherTrace(q.nums, q.target) }],
        answer: q.question,
        meta: { numbers: q.nums.length, target: q.target },
      }));
    }
    return out;
  },
};

// The multiplication dataset family as the pipeline and `reprise datagen` see it.

import type { DatasetFamily } from '../types.js';
import { GENERATOR_VERSION, TASK_CHARS, generateSplits, teacherTrace } from './generator.js';

export const multiplication: DatasetFamily = {
  name: 'multiplication',
  version: GENERATOR_VERSION,
  chars: TASK_CHARS,
  describe: 'multi-digit multiplication a*b, digit counts of each factor drawn from digit_weights',
  generate(seed, splits) {
    const names = Object.keys(splits);
    const drawn = generateSplits(seed, names.map((name) => ({ name, ...splits[name] })));
    const out: ReturnType<DatasetFamily['generate']> = {};
    for (const name of names) {
      out[name] = drawn[name].map((p) => ({
        id: p.id,
        messages: [{ role: 'user' as const, content: p.question }, { role: 'assistant' as const, content: teacherTrace(p.a, p.b) }],
        answer: p.answer,
        meta: { digits: p.digits },
      }));
    }
    return out;
  },
};

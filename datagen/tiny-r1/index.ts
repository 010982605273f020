// The tiny-r1 dataset family as the pipeline sees it: splits of chat rows with gold answers.

import { GENERATOR_VERSION, TASK_CHARS, generateSplits, teacherTrace, WIDTH } from './generator.js';
import type { DatasetFamily } from '../types.js';

export const tinyR1Addition: DatasetFamily = {
  name: 'tiny_r1_addition',
  version: GENERATOR_VERSION,
  chars: TASK_CHARS,
  describe: `column addition of two operands of up to ${WIDTH} digits, zero-padded to ${WIDTH}`,
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

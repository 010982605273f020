// The multiplication dataset family as the pipeline and `reprise datagen` see it.

import { GENERATOR_VERSION, MAX_DIGITS, TASK_CHARS, generateSplits, teacherTrace } from './generator.js';
import { twoOperandFamily } from '../draw.js';

export const multiplication = twoOperandFamily(
  { name: 'multiplication', version: GENERATOR_VERSION, chars: TASK_CHARS, describe: 'multi-digit multiplication a*b, digit counts of each factor drawn from digit_weights', maxDigits: MAX_DIGITS, verifier: 'integer' },
  generateSplits,
  teacherTrace,
);

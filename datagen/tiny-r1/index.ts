// The tiny-r1 dataset family as the pipeline sees it: splits of chat rows with gold answers.

import { GENERATOR_VERSION, TASK_CHARS, generateSplits, teacherTrace, WIDTH } from './generator.js';
import { twoOperandFamily } from '../draw.js';

export const tinyR1Addition = twoOperandFamily(
  { name: 'tiny_r1_addition', version: GENERATOR_VERSION, chars: TASK_CHARS, describe: `column addition of two operands of up to ${WIDTH} digits, zero-padded to ${WIDTH}`, maxDigits: WIDTH, verifier: 'math' },
  generateSplits,
  teacherTrace,
);

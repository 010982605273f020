// What a dataset family gives the pipeline: deterministic splits of chat rows with gold answers.

import type { ChatMessage } from '../src/model/tokenizer.js';
import type { VerifierName } from '../src/verify/task.js';

export interface DatasetRow {
  id: string;
  /** user turn(s) and the teacher's assistant turn */
  messages: ChatMessage[];
  answer: string;
  meta: Record<string, number | string>;
}

/** Per split: how many rows, and the relative weights of 1-, 2-, 3-, … digit operands (index 0 = 1 digit). */
export interface SplitSpec {
  count: number;
  digit_weights: number[];
}

/** Family parameters as a recipe writes them (numbers or lists of numbers). */
export type FamilyParams = Record<string, number | number[]>;

export interface DatasetFamily {
  /** Registry name, used verbatim in recipes (datagen.generator, or a datagen recipe's family). */
  name: string;
  version: number;
  /** The characters its texts use (the tiny models' tokenizer is built from them). */
  chars: string;
  describe: string;
  /** How its answers are checked (src/verify/task.ts); the accuracy reward and the eval use it. */
  verifier: VerifierName;
  /** The longest digit_weights it can honour (operands of at most this many digits). */
  maxDigits: number;
  /** How many distinct problems a split with these digit weights can hold, where that is known. */
  distinctProblems?(digitWeights: readonly number[]): number;
  /** The family's parameters and their defaults; a recipe may override any of them, and no others. */
  params?: FamilyParams;
  generate(seed: number, splits: Record<string, SplitSpec>, params?: FamilyParams): Record<string, DatasetRow[]>;
}

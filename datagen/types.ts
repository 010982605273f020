// What a dataset family gives the pipeline: deterministic splits of chat rows with gold answers.

import type { ChatMessage } from '../src/model/tokenizer.js';

export interface DatasetRow {
  id: string;
  /** user turn(s) and the teacher's assistant turn */
  messages: ChatMessage[];
  answer: string;
  meta: Record<string, number | string>;
}

export interface DatasetFamily {
  /** Registry name, used verbatim in recipes (datagen.generator). */
  name: string;
  version: number;
  /** The characters its texts use (the tiny models' tokenizer is built from them). */
  chars: string;
  describe: string;
  generate(seed: number, splits: Record<string, { count: number; digit_weights: number[] }>): Record<string, DatasetRow[]>;
}

// Verifiers for rejection sampling, by preset name: math answers through src/verify (extraction + symbolic
// equivalence), GSM8K golds reduced to the number after "####", and countdown by TinyZero's rule.

import type { ExtractPreset } from '../../src/verify/extract.js';
import { gradeMath } from '../../src/verify/grade-math.js';
import type { VERIFIER_PRESETS } from '../../src/config/datagen-spec.js';
import { countdownCorrect, lastAnswerTag, parseCountdownGold } from '../countdown/expr.js';

/** true: correct; false: wrong; null: the gold itself cannot be parsed (the prompt is skipped, and reported). */
export type Verifier = (gold: string, answerText: string) => boolean | null;

/** GSM8K's answer field is a worked solution ending in "#### 72"; the gold is that number without commas. */
export function gsm8kGold(gold: string): string {
  const i = gold.lastIndexOf('####');
  return (i >= 0 ? gold.slice(i + 4) : gold).trim().replace(/,/g, '');
}

export function makeVerifier(preset: (typeof VERIFIER_PRESETS)[number]): Verifier {
  if (preset === 'countdown') {
    return (gold, text) => {
      const g = parseCountdownGold(gold);
      if (!g) return null;
      const expr = lastAnswerTag(text);
      return expr !== null && countdownCorrect(expr, g.nums, g.target);
    };
  }
  return (gold, text) => {
    const g = preset === 'gsm8k' ? gsm8kGold(gold) : gold;
    return gradeMath(g, text, { preset: preset as ExtractPreset }).correct;
  };
}

// Answer extraction from a completion, in a fixed priority order; returns the rule that matched.

export type ExtractRule = 'boxed' | 'answer_tag' | 'the_answer_is' | 'gsm8k_hashes' | 'last_number';

export interface Extraction {
  pred: string | null;
  rule: ExtractRule | null;
}

/** Strict mode accepts only explicit markers (boxed, answer tag, "the answer is", ####), never a bare last number. */
export function extractAnswer(completion: string, opts: { strict?: boolean } = {}): Extraction {
  const boxed = lastBoxed(completion);
  if (boxed !== null) return { pred: boxed.trim(), rule: 'boxed' };
  const tags = [...completion.matchAll(/<answer>([\s\S]*?)<\/answer>/g)];
  if (tags.length) return { pred: tags[tags.length - 1][1].trim(), rule: 'answer_tag' };
  const said = [...completion.matchAll(/the (?:final )?answer is:?\s*([^\n]+?)\s*(?:\.\s*)?$/gim)];
  if (said.length) return { pred: said[said.length - 1][1].trim(), rule: 'the_answer_is' };
  const hashes = [...completion.matchAll(/####\s*([^\n]+)/g)];
  if (hashes.length) return { pred: hashes[hashes.length - 1][1].trim(), rule: 'gsm8k_hashes' };
  if (opts.strict) return { pred: null, rule: null };
  const nums = completion.match(/-?\d[\d,]*(?:\.\d+)?/g);
  return nums ? { pred: nums[nums.length - 1], rule: 'last_number' } : { pred: null, rule: null };
}

/** Content of the last \boxed{…} or \fbox{…}, with nested braces. */
export function lastBoxed(s: string): string | null {
  const at = Math.max(s.lastIndexOf('\\boxed{'), s.lastIndexOf('\\fbox{'));
  if (at < 0) return null;
  let i = s.indexOf('{', at) + 1;
  const start = i;
  for (let depth = 1; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return s.slice(start, i);
  }
  return null;
}

// Answer extraction from a completion, in a fixed priority order per preset; returns the rule that matched.
// Strict mode accepts only explicit markers; lenient mode adds the last $…$ math and the last number.

export type ExtractRule = 'boxed' | 'answer_tag' | 'the_answer_is' | 'gsm8k_hashes' | 'last_math' | 'last_number';
export type ExtractPreset = 'default' | 'math' | 'gsm8k';

export interface Extraction {
  pred: string | null;
  rule: ExtractRule | null;
}

export interface ExtractOptions {
  strict?: boolean;
  preset?: ExtractPreset;
}

export const PRESETS: Record<ExtractPreset, ExtractRule[]> = {
  default: ['boxed', 'answer_tag', 'the_answer_is', 'gsm8k_hashes', 'last_math', 'last_number'],
  math: ['boxed', 'answer_tag', 'the_answer_is', 'last_math', 'last_number'],
  gsm8k: ['gsm8k_hashes', 'boxed', 'answer_tag', 'the_answer_is', 'last_number'],
};
const LENIENT_ONLY = new Set<ExtractRule>(['last_math', 'last_number']);
const NUMBER = /-?\$?\d[\d,]*(?:\.\d+)?|-?\.\d+/g;

const RULES: Record<ExtractRule, (c: string) => string | null> = {
  boxed: (c) => lastBoxed(c),
  answer_tag: (c) => {
    const tags = [...c.matchAll(/<answer>([\s\S]*?)<\/answer>/g)];
    return tags.length ? tags[tags.length - 1][1] : null;
  },
  the_answer_is: (c) => {
    const said = [...c.replace(/\*\*/g, '').matchAll(/(?:the (?:final )?answer is|final answer\s*(?:is)?\s*:)\s*:?\s*([^\n]*)/gi)];
    for (let i = said.length - 1; i >= 0; i--) {
      const text = said[i][1].replace(/\s*\.\s*$/, '').replace(/^\s*\$(.*)\$\s*$/, '$1').trim();
      if (text !== '') return text;
    }
    return null;
  },
  gsm8k_hashes: (c) => {
    const hashes = [...c.matchAll(/####\s*([^\n]+)/g)];
    return hashes.length ? hashes[hashes.length - 1][1] : null;
  },
  last_math: (c) => {
    const maths = [...c.matchAll(/\$\$([^$]+)\$\$|\$([^$]+)\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)/g)];
    if (!maths.length) return null;
    const m = maths[maths.length - 1];
    return m[1] ?? m[2] ?? m[3] ?? m[4];
  },
  last_number: (c) => {
    const nums = c.replace(/\*\*/g, '').match(NUMBER);
    return nums ? nums[nums.length - 1].replace(/\$/g, '') : null;
  },
};

export function extractAnswer(completion: string, opts: ExtractOptions = {}): Extraction {
  const rules = PRESETS[opts.preset ?? 'default'];
  for (const rule of rules) {
    if (opts.strict && LENIENT_ONLY.has(rule)) continue;
    const found = RULES[rule](completion);
    if (found === null) continue;
    const pred = tidy(found, opts.preset === 'gsm8k');
    if (pred !== '') return { pred, rule };
  }
  return { pred: null, rule: null };
}

/** Markdown emphasis, math delimiters and trailing punctuation around an extracted answer. */
function tidy(s: string, numeric: boolean): string {
  let t = s.replace(/\*\*|__/g, '').trim();
  const inner = /\\(?:boxed|fbox)\s*\{/.test(t) ? lastBoxed(t) : null;
  if (inner !== null) t = inner.trim();
  t = t.replace(/^\$+|\$+$/g, '').replace(/[.;,]+$/, '').trim();
  if (numeric) {
    const nums = t.match(NUMBER);
    if (nums && !/^-?[\d,]*\.?\d+$/.test(t)) return nums[nums.length - 1].replace(/[$,]/g, '');
    return t.replace(/,/g, '');
  }
  return t;
}

/** Content of the last \boxed{…} or \fbox{…}, with nested braces; also \boxed 5 (no braces). */
export function lastBoxed(s: string): string | null {
  const at = Math.max(s.lastIndexOf('\\boxed'), s.lastIndexOf('\\fbox'));
  if (at < 0) return null;
  let i = at + (s.startsWith('\\boxed', at) ? 6 : 5);
  while (s[i] === ' ') i++;
  if (s[i] !== '{') {
    const bare = /^[^\s$]+/.exec(s.slice(i));
    return at === s.lastIndexOf('\\boxed ') && bare ? bare[0] : null;
  }
  const start = ++i;
  for (let depth = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return s.slice(start, i);
  }
  return null;
}

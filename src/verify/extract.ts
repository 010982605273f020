// Answer extraction from a completion, in a fixed priority order per preset; returns the rule that matched.
// Strict mode accepts only explicit markers; lenient mode adds a short bare answer, then the last $…$ math or
// number of the last sentence that has either. Two decisions a policy could otherwise exploit:
// - Boxes: the last non-empty, closed \boxed{…} is the answer. When every box is empty or unclosed, there is no
//   answer at all (rule 'boxed', pred null), never a fallback to other text such as the echoed problem.
// - Truncation: a completion cut off by the length limit (finished: false) is read in strict mode. An answer it
//   stated with an explicit marker (a box, answer tags, "the answer is", ####) counts; a number or formula left
//   mid-reasoning does not, since the model never committed to it.

import { balancedSpans, type Span } from './spans.js';

export type ExtractRule = 'boxed' | 'answer_tag' | 'the_answer_is' | 'gsm8k_hashes' | 'whole' | 'last_math' | 'last_number';
export type ExtractPreset = 'default' | 'math' | 'gsm8k';

export interface Extraction {
  pred: string | null;
  rule: ExtractRule | null;
}

export interface ExtractOptions {
  strict?: boolean;
  preset?: ExtractPreset;
  /** false when the completion was cut off by the length limit: only explicit markers count (see the header). */
  finished?: boolean;
}

export const PRESETS: Record<ExtractPreset, ExtractRule[]> = {
  default: ['boxed', 'answer_tag', 'the_answer_is', 'gsm8k_hashes', 'whole', 'last_math', 'last_number'],
  math: ['boxed', 'answer_tag', 'the_answer_is', 'whole', 'last_math', 'last_number'],
  gsm8k: ['gsm8k_hashes', 'boxed', 'answer_tag', 'the_answer_is', 'whole', 'last_number'],
};
const LENIENT_ONLY = new Set<ExtractRule>(['whole', 'last_math', 'last_number']);
/** A number standing alone: not a digit inside a word (AZYUK2A), with an optional currency sign or fraction bar. */
const NUMBER = /(?<![A-Za-z_\d.])-?\$?\d[\d,]*(?:\.\d+)?(?:\/\d+)?|(?<![A-Za-z_\d])-?\.\d+/g;
/** A word of two or more letters outside LaTeX commands ("so 2"): prose, not a bare answer. */
const PROSE = /(?<![\\a-zA-Z])[a-zA-Z]{2,}/;
const NO_ANSWER = Symbol('no answer');
const CLAUSE_END = /[.!?](?=\s|$)|\n|;|,(?=\s+(?:so|giving|which|hence|thus|therefore)\b)/gi;
/** Words before a number that make it a reference, not an answer: "from step 3", "by equation (2)". */
const REFERENCE = /(?:\b(?:step|part|case|equation|eq|line|problem|question|figure|fig|section|item)\.?\s*\(?|\()\s*$/i;

const RULES: Record<ExtractRule, (c: string) => string | null | typeof NO_ANSWER> = {
  boxed: (c) => {
    const boxes = allBoxed(c);
    if (boxes.length === 0) return null;
    const usable = boxes.filter((b) => b !== null && tidy(b, false) !== '');
    return usable.length ? usable[usable.length - 1] : NO_ANSWER;
  },
  answer_tag: (c) => {
    const tags = [...c.matchAll(/<answer>([\s\S]*?)<\/answer>/g)];
    return tags.length ? tags[tags.length - 1][1] : null;
  },
  the_answer_is: (c) => {
    const said = [...c.replace(/\*\*/g, '').matchAll(/(?:the (?:final )?answer is|final answer\s*(?:is)?\s*:)\s*:?\s*([^\n]*)/gi)];
    for (let i = said.length - 1; i >= 0; i--) {
      const text = firstSentence(said[i][1]).replace(/\s*\.\s*$/, '').replace(/^\s*\$(.*)\$\s*$/, '$1').trim();
      if (text !== '') return text;
    }
    return null;
  },
  gsm8k_hashes: (c) => {
    const hashes = [...c.matchAll(/####\s*([^\n]+)/g)];
    return hashes.length ? hashes[hashes.length - 1][1] : null;
  },
  whole: (c) => {
    const t = c.trim();
    if (t.length > 300 || /\n/.test(t) || balancedSpans(t).length > 0) return null;
    const words = t.replace(/\\[a-zA-Z]+/g, ' ').replace(/\$/g, '');
    return PROSE.test(words) ? null : t;
  },
  last_math: (c) => lastAnswerSentence(c)?.span?.text ?? null,
  last_number: (c) => {
    const last = lastAnswerSentence(c);
    const chosen = last?.number ?? last?.span?.text.match(NUMBER)?.pop();
    const nums = chosen ? [chosen] : c.replace(/\*\*/g, '').match(NUMBER);
    return nums ? nums[nums.length - 1].replace(/\$/g, '') : null;
  },
};

export function extractAnswer(completion: string, opts: ExtractOptions = {}): Extraction {
  const strict = opts.strict || opts.finished === false;
  for (const rule of PRESETS[opts.preset ?? 'default']) {
    if (strict && LENIENT_ONLY.has(rule)) continue;
    const found = RULES[rule](completion);
    if (found === NO_ANSWER) return { pred: null, rule };
    if (found === null) continue;
    const pred = tidy(found, opts.preset === 'gsm8k');
    if (pred !== '') return { pred, rule };
  }
  return { pred: null, rule: null };
}

/**
 * In the last sentence or clause that holds a math span or a number: its last span, or else its last plain number
 * (not a reference such as "step 3" or "(2)"). Sentences end at . ! ? or a newline outside math; a clause at a
 * semicolon or at a comma before so, giving, which, hence, thus or therefore. Asymptote code is not text.
 */
function lastAnswerSentence(c0: string): { span?: Span; number?: string } | null {
  const c = c0.replace(/\[asy\][\s\S]*?\[\/asy\]/g, (m) => ' '.repeat(m.length));
  const spans = balancedSpans(c);
  const masked = maskSpans(c, spans);
  const ends = [0, ...[...masked.matchAll(CLAUSE_END)].map((m) => m.index! + 1), c.length];
  for (let k = ends.length - 1; k > 0; k--) {
    const [from, to] = [ends[k - 1], ends[k]];
    const inside = spans.filter((s) => s.start >= from && s.start < to);
    const text = masked.slice(from, to).replace(/\*\*/g, '  ');
    const nums = [...text.matchAll(NUMBER)].filter((m) => !REFERENCE.test(text.slice(0, m.index)) && text[m.index! + m[0].length] !== ')');
    const lastNum = nums.length ? from + nums[nums.length - 1].index! : -1;
    const lastSpan = inside.length ? inside[inside.length - 1] : null;
    // a span holds the answer over plain numbers after it ("$9$ divisors of 196"), except a price ("$2$ hours, $18")
    const prices = lastSpan ? nums.filter((m) => from + m.index! > lastSpan.start && m[0].includes('$')) : nums;
    if (lastSpan && prices.length === 0) return { span: lastSpan };
    if (prices.length) return { number: prices[prices.length - 1][0] };
  }
  return null;
}

/** Up to the first sentence end outside math: "5. Wait, let me reconsider" says 5. */
function firstSentence(line: string): string {
  const end = /[.!?](?=\s)/.exec(maskSpans(line, balancedSpans(line)));
  return end ? line.slice(0, end.index) : line;
}

/** The text with each math span blanked, so numbers and sentence ends inside math are not seen. */
function maskSpans(c: string, spans: Span[]): string {
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += c.slice(at, s.start) + '\u0001'.repeat(s.end - s.start);
    at = s.end;
  }
  return out + c.slice(at);
}

/** Markdown emphasis, math delimiters and trailing punctuation around an extracted answer. */
function tidy(s: string, numeric: boolean): string {
  let t = s.replace(/\*\*|__/g, '').trim();
  const inner = /\\(?:boxed|fbox)\s*\{/.test(t) ? lastBoxed(t) : null;
  if (inner !== null) t = inner.trim();
  t = t.replace(/^\$+|\$+$/g, '').replace(/(?:(?<!\\)[.;,])+$/, '').trim();
  if (numeric) {
    const nums = t.match(NUMBER);
    if (nums && !/^-?[\d,]*\.?\d+$/.test(t)) return nums[nums.length - 1].replace(/[$,]/g, '');
    return t.replace(/,/g, '');
  }
  return t;
}

/** Every \boxed{…} / \fbox{…} in order: its content, or null for one never closed. Also \boxed 5 (no braces). */
function allBoxed(s: string): (string | null)[] {
  const out: (string | null)[] = [];
  for (const m of s.matchAll(/\\(?:boxed|fbox)(?![a-zA-Z])/g)) {
    let i = m.index! + m[0].length;
    while (s[i] === ' ') i++;
    if (s[i] !== '{') {
      const bare = m[0] === '\\boxed' && s[m.index! + 6] === ' ' ? /^[^\s$]+/.exec(s.slice(i)) : null;
      out.push(bare ? bare[0] : null);
      continue;
    }
    out.push(closeBrace(s, i));
  }
  return out;
}

/** Content of the brace group opened at s[open] ('{'), or null when it never closes. */
function closeBrace(s: string, open: number): string | null {
  let i = open + 1;
  for (let depth = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return s.slice(open + 1, i);
  }
  return null;
}

/** Content of the last \boxed{…} or \fbox{…}, with nested braces; also \boxed 5 (no braces); null if unclosed. */
export function lastBoxed(s: string): string | null {
  const boxes = allBoxed(s);
  return boxes.length ? boxes[boxes.length - 1] : null;
}

// Parses a cleaned answer into its shape: expression, word, multiple-choice letter, set, tuple, interval, union,
// relation or matrix. An answer longer than MAX_ANSWER_CHARS after clean-up is refused (null: unparsed, so never
// correct), not compared by some cheaper key: padding must not turn -5 into 5.

import { balanced, cleanAnswer, dropThousands, matchClose, splitTop } from './latex.js';

export type Answer =
  /** lhs: the symbol of an answer written `y = …`, kept so that it can still match an equation gold. */
  | { kind: 'expr'; src: string; percent: boolean; lhs?: string }
  | { kind: 'text'; text: string }
  /** A multiple-choice letter: (C), \text{(C)}, or a bare capital A-E; never a lower-case variable. */
  | { kind: 'choice'; letter: string }
  | { kind: 'set'; items: Answer[]; bare: boolean; pm?: boolean }
  | { kind: 'tuple'; items: Answer[] }
  | { kind: 'interval'; lo: Answer; hi: Answer; loClosed: boolean; hiClosed: boolean }
  | { kind: 'union'; parts: Answer[] }
  | { kind: 'relation'; op: string; lhs: Answer; rhs: Answer }
  | { kind: 'matrix'; rows: Answer[][] };

const LIST = /,|;|\s+and\s+|\s+or\s+/;
const REL = /(<=|>=|!=|=|<|>)/;
const SYMBOL = /^[a-zA-Z](?:_\{?[a-zA-Z0-9]+\}?)?$|^\\(?:alpha|beta|gamma|theta|lambda|mu|phi|rho|sigma|omega)$/;
const WORD_FUNCS = /^(?:sin|cos|tan|cot|sec|csc|log|ln|exp|sqrt|pi|max|min|gcd|lcm)$/;
/** Caps the work one answer can cause: longer answers are refused. */
export const MAX_ANSWER_CHARS = 2000;

/** The shape of an answer, or null when nothing usable is left after clean-up or it is too long. */
export function parseAnswer(raw: string): Answer | null {
  const c = cleanAnswer(raw);
  if (c.s === '' || c.s.length > MAX_ANSWER_CHARS) return null;
  const n = numberWord(c.s);
  if (n !== null) return { kind: 'expr', src: String(n), percent: c.percent };
  const letter = CHOICE.exec(c.s) ?? (c.textual ? null : /^([A-E])$/.exec(c.s));
  if (letter) return { kind: 'choice', letter: letter[1].toUpperCase() };
  if (c.textual) return { kind: 'text', text: c.s };
  if (!balanced(c.s)) return null;
  return parseShape(c.s, c.percent, 0);
}

/** (C), or (C) followed by its value ("(C) 12"), not by an operator ("(C) + 1"). */
const CHOICE = /^\(([A-E])\)(?:\s+[^\s+\-*/=^<>].*)?$/;
const UNITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** "four", "twenty-one", "one hundred and five": 0 to 999 999 in words, or null. */
export function numberWord(s: string): number | null {
  const words = s.toLowerCase().replace(/-/g, ' ').split(/\s+/).filter((w) => w !== 'and');
  if (words.length === 0 || words.length > 8) return null;
  let total = 0;
  let part = 0;
  let seen = false;
  for (const w of words) {
    const u = UNITS.indexOf(w);
    const t = TENS.indexOf(w);
    if (u >= 0) part += u;
    else if (t >= 2) part += 10 * t;
    else if (w === 'hundred') part = (part || 1) * 100;
    else if (w === 'thousand') [total, part] = [total + (part || 1) * 1000, 0];
    else if (w === 'a' && !seen) continue;
    else return null;
    seen = true;
  }
  return seen ? total + part : null;
}

function isWordAnswer(s: string): boolean {
  if (/^\(?[A-E]\)?$/.test(s)) return /^\(/.test(s);
  if (!/^[a-zA-Z][a-zA-Z '\-]*$/.test(s)) return false;
  const words = s.split(/[\s\-]+/).filter(Boolean);
  return words.some((w) => w.length >= 3 && !WORD_FUNCS.test(w)) && !/^[a-z]$/.test(s);
}

function parseShape(s0: string, percent: boolean, depth: number): Answer {
  let s = s0.trim();
  if (depth > 8) return { kind: 'text', text: s };
  s = s.replace(/\\(?:le|leq|leqslant)(?![a-zA-Z])|≤/g, '<=').replace(/\\(?:ge|geq|geqslant)(?![a-zA-Z])|≥/g, '>=');
  s = s.replace(/\\(?:ne|neq)(?![a-zA-Z])|≠/g, '!=').replace(/\\lt(?![a-zA-Z])/g, '<').replace(/\\gt(?![a-zA-Z])/g, '>');
  s = s.replace(/,\s*(?:and|or)\s+/g, ', ').replace(/,(?:\s*,)+/g, ',');
  const approx = splitTop(s, /\\approx|≈/);
  if (approx.length > 1) return parseShape(SYMBOL.test(approx[0]) ? approx[approx.length - 1] : approx[0], percent, depth + 1);
  if (isWordAnswer(s)) return { kind: 'text', text: s };
  const inAt = /^\s*[a-zA-Z]\s*\\in\s*/.exec(s);
  if (inAt) return parseShape(s.slice(inAt[0].length), percent, depth + 1);
  const matrix = /^\\begin\{([pbvB]?matrix|array)\}(?:\{[^}]*\})?([\s\S]*)\\end\{\1\}$/.exec(s);
  if (matrix) {
    const rows = matrix[2].split(/\\\\/).map((r) => r.trim()).filter(Boolean);
    return { kind: 'matrix', rows: rows.map((r) => r.split('&').map((x) => parseShape(x, false, depth + 1))) };
  }
  const unions = splitTop(s, /\\cup|∪|\bU\b/);
  if (unions.length > 1) return { kind: 'union', parts: unions.map((p) => parseShape(p, false, depth + 1)) };
  const solutions = splitTop(s, LIST);
  if (solutions.length > 1 && solutions.every((p) => /^[a-zA-Z]\s*=/.test(p))) {
    return { kind: 'set', bare: true, items: flat(solutions.map((p) => parseShape(p, percent, depth + 1))) };
  }
  const rel = relation(s, percent, depth);
  if (rel) return rel;
  if (!/^(?:\\\{|[([{])/.test(s)) s = dropThousands(s);
  const listed = splitTop(s, LIST);
  if (listed.length > 1 && listed.every(Boolean)) return { kind: 'set', bare: true, items: flat(listed.map((p) => parseShape(p, percent, depth + 1))) };
  const bracket = brackets(s, depth);
  if (bracket) return bracket;
  const pm = splitTop(s, /\\pm|±/);
  if (pm.length === 2 && pm[1] !== '') {
    const head = pm[0] === '' ? '' : `${pm[0]}`;
    return {
      kind: 'set',
      bare: false,
      pm: true,
      items: [`${head}+(${pm[1]})`, `${head}-(${pm[1]})`].map((x) => ({ kind: 'expr', src: x, percent })),
    };
  }
  return { kind: 'expr', src: s, percent };
}

/** 1 ± √5 inside a list stands for its two members. */
function flat(items: Answer[]): Answer[] {
  return items.flatMap((a) => (a.kind === 'set' && a.pm ? a.items : [a]));
}

function relation(s: string, percent: boolean, depth: number): Answer | null {
  const ops: string[] = [];
  const parts = splitTop(s, REL, ops);
  if (parts.length === 1) return null;
  if (parts.some((p) => p === '') || ops.length !== parts.length - 1) return { kind: 'text', text: s };
  const sub = (x: string) => parseShape(x, percent, depth + 1);
  // a = b = … = v: the chain's last right-hand side is the answer
  if (parts.length > 2 && ops.every((o) => o === '=')) return sub(parts[parts.length - 1]);
  if (parts.length === 2 && ops[0] === '=' && SYMBOL.test(parts[0])) {
    const v = sub(parts[1]);
    return v.kind === 'expr' ? { ...v, lhs: parts[0] } : v;
  }
  const neg = parts.length === 2 && ops[0] !== '=' && ops[0] !== '!=' ? parts.findIndex((p) => /^-/.test(p) && SYMBOL.test(p.slice(1).trim())) : -1;
  if (neg >= 0 && !SYMBOL.test(parts[1 - neg])) {
    const op = neg === 0 ? ops[0] : flip(ops[0]);
    return ray(flip(op), sub(`-(${parts[1 - neg]})`));
  }
  if (parts.length === 2 && ops[0] === '=' && /^[a-zA-Z]\([a-zA-Z]\)$/.test(parts[0])) return sub(parts[1]);
  const oneSymbol = parts.length === 2 && SYMBOL.test(parts[0]) !== SYMBOL.test(parts[1]);
  if (oneSymbol && ops[0] !== '=' && ops[0] !== '!=') {
    if (SYMBOL.test(parts[0])) return ray(ops[0], sub(parts[1]));
    if (SYMBOL.test(parts[1])) return ray(flip(ops[0]), sub(parts[0]));
  }
  if (parts.length === 3 && SYMBOL.test(parts[1]) && ops.every((o) => o.startsWith('<'))) {
    return { kind: 'interval', lo: sub(parts[0]), hi: sub(parts[2]), loClosed: ops[0] === '<=', hiClosed: ops[1] === '<=' };
  }
  if (parts.length === 3 && SYMBOL.test(parts[1]) && ops.every((o) => o.startsWith('>'))) {
    return { kind: 'interval', lo: sub(parts[2]), hi: sub(parts[0]), loClosed: ops[1] === '>=', hiClosed: ops[0] === '>=' };
  }
  if (parts.length === 2) return { kind: 'relation', op: ops[0], lhs: sub(parts[0]), rhs: sub(parts[1]) };
  return { kind: 'text', text: s };
}

function flip(op: string): string {
  return op.replace('<', '#').replace('>', '<').replace('#', '>');
}

/** x < a as an interval: the variable's name does not matter. */
function ray(op: string, bound: Answer): Answer {
  const inf: Answer = { kind: 'expr', src: '\\infty', percent: false };
  const minf: Answer = { kind: 'expr', src: '-\\infty', percent: false };
  if (op.startsWith('<')) return { kind: 'interval', lo: minf, hi: bound, loClosed: false, hiClosed: op === '<=' };
  return { kind: 'interval', lo: bound, hi: inf, loClosed: op === '>=', hiClosed: false };
}

function brackets(s: string, depth: number): Answer | null {
  const setOpen = s.startsWith('\\{');
  if (!setOpen && !'([{'.includes(s[0])) return null;
  const close = matchClose(s, 0);
  if (close !== s.length - (setOpen ? 2 : 1)) return null;
  const inner = s.slice(setOpen ? 2 : 1, close);
  const items = splitTop(inner, /,|;/);
  const sub = (x: string) => parseShape(x, false, depth + 1);
  // a plain brace group is grouping, unless it holds a list: {-2021, 2021} is a set
  if (s[0] === '{') return items.length > 1 ? { kind: 'set', bare: false, items: flat(items.map(sub)) } : parseShape(inner, false, depth + 1);
  if (setOpen) return { kind: 'set', bare: false, items: inner.trim() === '' ? [] : flat(items.map(sub)) };
  if (items.length === 1) return s[0] === '(' && s.endsWith(')') ? parseShape(inner, false, depth + 1) : { kind: 'tuple', items: [sub(inner)] };
  const lo = s[0];
  const hi = s[s.length - 1];
  if (items.length === 2 && !(lo === '(' && hi === ')')) {
    return { kind: 'interval', lo: sub(items[0]), hi: sub(items[1]), loClosed: lo === '[', hiClosed: hi === ']' };
  }
  return { kind: 'tuple', items: items.map(sub) };
}

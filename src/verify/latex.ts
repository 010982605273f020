// LaTeX and text clean-up of an answer string: spacing, delimiters, units, degrees, thousands separators, markdown.

import { lastBoxed } from './extract.js';

/** A cleaned answer: the math text plus the facts that clean-up removed but comparison needs. */
export interface Cleaned {
  s: string;
  percent: boolean;
  /** The whole answer was wrapped in \text{…} (a word answer such as "Evelyn"). */
  textual: boolean;
}

const TEXT_CMDS = 'text|textbf|textit|textrm|texttt|textnormal|mathrm|mathbf|mathit|mathsf|mbox|operatorname|boldsymbol|mathbb';
const TEXT_RE = new RegExp(`\\\\(?:${TEXT_CMDS})\\s*\\{((?:[^{}]|\\{[^{}]*\\})*)\\}`, 'g');
const UNIT_TAIL = new RegExp(`\\s*\\\\(?:text|mbox|mathrm|textrm|textnormal)\\s*\\{\\s*[a-zA-Z][a-zA-Z. ]*\\}(?:\\s*\\^\\s*\\{?\\d\\}?)?\\s*$`);
/** 3^{\text{rd}}, 21^{\mathrm{st}}, 4^{th}, 12\text{th}, 5th: an ordinal is its number. */
const ORDINALS = [
  /(\d)\s*\^\s*\{\s*\\(?:text|mathrm|textrm|rm)\s*\{\s*(?:st|nd|rd|th)\s*\}\s*\}/g,
  /(\d)\s*\^\s*\\(?:text|mathrm|textrm)\s*\{\s*(?:st|nd|rd|th)\s*\}/g,
  /(\d)\s*\^\s*\{\s*(?:st|nd|rd|th)\s*\}/g,
  /(\d)\s*\\(?:text|mathrm|textrm)\s*\{\s*(?:st|nd|rd|th)\s*\}/g,
  /(\d)(?:st|nd|rd|th)(?![a-zA-Z])/g,
];
/** A unit word after a number: after a space, or one of the common abbreviations written close up (15cm); never a
 * math word (5pi is not 5) nor a juxtaposed product (5xy is not 5). */
const MATH_WORDS = 'pi|sqrt|ln|log|exp|sin|cos|tan|csc|cot|arcsin|arccos|arctan|sinh|cosh|tanh|infty|inf|infinity|mod';
const CLOSE_UNITS = 'cm|mm|km|kg|mg|ml|ft|in|yd|mi|mph|kph|lb|lbs|oz|hr|hrs|min|sec|cents|units|sq';
const PLAIN_UNIT_TAIL = new RegExp(
  `^([-+]?[\\d.,]*\\d(?:\\s*\\/\\s*\\d+)?)(?:\\s+(?!(?:${MATH_WORDS})\\b)[a-zA-Z]{2,}|(?:${CLOSE_UNITS})\\b)\\.?(?:\\s+(?!(?:${MATH_WORDS})\\b)[a-zA-Z]{2,}\\.?)*(?:\\s*\\^\\s*\\d)?$`,
);

export function cleanAnswer(raw: string): Cleaned {
  let s = raw.trim();
  if (/\\(?:boxed|fbox)\s*\{/.test(s)) s = lastBoxed(s) ?? s;
  s = s.replace(/\*\*|__/g, '');
  s = s.replace(/\$/g, ' ').replace(/\\[()[\]]/g, ' ');
  s = s.replace(/\\(?:displaystyle|textstyle|scriptstyle)/g, '');
  s = s.replace(/\\(?:left|right)\s*\./g, '');
  s = s.replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big|bigg|Bigg)\s*(?=[()[\]|]|\\[{}|]|\\[lr](?:vert|angle|floor|ceil))/g, '');
  s = s.replace(/(\d)\{,\}(?=\d{3})/g, '$1').replace(/(\d),\\!\s*(?=\d{3})/g, '$1');
  s = s.replace(/(?<!\\)\\[!,;:> ]|\\q?quad|~/g, ' ');
  s = s.replace(/\\[dt]frac/g, '\\frac').replace(/\\[dt]binom/g, '\\binom');
  s = s.replace(/(^|[^\d^_.}])(\d+)\s*\\frac\s*\{(\d+)\}\s*\{(\d+)\}/g, '$1($2+\\frac{$3}{$4})');
  s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°|\\degree/g, '');
  for (const re of ORDINALS) s = s.replace(re, '$1');
  const percent = /\\?%/.test(s);
  s = s.replace(/\\?%/g, '').replace(/\\\$|USD/g, '');
  const textual = /^\s*\\(?:text|textbf|mbox|mathrm)\s*\{[^{}]*[a-zA-Z]{2}[^{}]*\}\s*\.?\s*$/.test(s);
  const tail = textual ? null : UNIT_TAIL.exec(s);
  if (tail && /[\d}]\s*$/.test(s.slice(0, tail.index))) s = s.slice(0, tail.index);
  s = s.replace(/\\(?:text|mbox)\s*\{\s*(?:and|or)\s*\}/g, ', ');
  s = s.replace(TEXT_RE, '$1').replace(TEXT_RE, '$1');
  s = s.replace(/\s+/g, ' ').trim();
  s = s.replace(/^(?:=|:)\s*/, '').replace(/(?:\s|\\\\|[.;:])+$/, '').trim();
  if (/^[-+]?\d{1,3}(?: \d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/ /g, '');
  const unit = PLAIN_UNIT_TAIL.exec(s);
  if (unit && !textual) s = unit[1];
  return { s, percent, textual };
}

/** Thousands separators: 1,234,567 is one number when every group after the first has exactly three digits. */
export function dropThousands(s: string): string {
  return s.replace(/(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])(?!\.\d*,)/g, (m) => m.replace(/,/g, ''));
}

/** Braces, brackets and parentheses are balanced (interval notation may mix ( and ]). */
export function balanced(s: string): boolean {
  let depth = 0;
  let braces = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') braces++;
    else if (c === '}') braces--;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    if (braces < 0 || depth < 0) return false;
  }
  return braces === 0 && depth === 0;
}

/** Text form used to compare word answers: lower case, no markup, no brackets or spaces. */
export function textKey(raw: string): string {
  return cleanAnswer(raw)
    .s.replace(/\\[a-zA-Z]+/g, '')
    .replace(/[{}()[\]\s.'"`]/g, '')
    .toLowerCase();
}

/** Splits s at top-level occurrences of sep (not inside any brackets); the separators found go to seps. */
export function splitTop(s: string, sep: RegExp, seps?: string[]): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  const re = new RegExp(sep.source, 'gy');
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) {
      depth += s[i + 1] === '{' ? 1 : -1;
      i++;
      continue;
    }
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (depth === 0) {
      re.lastIndex = i;
      const m = re.exec(s);
      if (m && m[0].length > 0) {
        seps?.push(m[0]);
        parts.push(s.slice(start, i));
        start = i + m[0].length;
        i = start - 1;
      }
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim());
}

/** Index of the bracket closing the one opened at `open` (any of ( [ { and \{), or -1. */
export function matchClose(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) {
      depth += s[i + 1] === '{' ? 1 : -1;
      if (depth === 0) return i;
      i++;
      continue;
    }
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c) && --depth === 0) return i;
  }
  return -1;
}

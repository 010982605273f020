// Math spans of a completion: $…$, $$…$$, \(…\), \[…\]. A dollar sign that opens prose rather than math is a
// currency sign ("was $20 and the discount was $5"): it opens no span, so the dollars after it pair correctly.

export interface Span {
  /** Offsets of the whole span, delimiters included. */
  start: number;
  end: number;
  /** The math between the delimiters. */
  text: string;
}

/** An English word of two or more letters outside \text{…} and commands: prose, not math. */
function isProse(s: string): boolean {
  const bare = s.replace(/\\(?:text|textbf|textit|mathrm|mbox|textnormal)\s*\{[^{}]*\}/g, ' ').replace(/\\[a-zA-Z]+/g, ' ');
  return /(?:^|[\s,])[a-zA-Z]{2,}(?=[\s,.;:!?]|$)/.test(bare);
}

export function balancedSpans(c: string): Span[] {
  const spans: Span[] = [];
  let i = 0;
  while (i < c.length) {
    const ch = c[i];
    if (ch === '\\' && (c[i + 1] === '(' || c[i + 1] === '[')) {
      const close = c.indexOf(c[i + 1] === '(' ? '\\)' : '\\]', i + 2);
      if (close < 0) break;
      spans.push({ start: i, end: close + 2, text: c.slice(i + 2, close) });
      i = close + 2;
    } else if (ch === '\\') {
      i += 2;
    } else if (ch === '$' && c[i + 1] === '$') {
      const close = c.indexOf('$$', i + 2);
      if (close < 0) break;
      spans.push({ start: i, end: close + 2, text: c.slice(i + 2, close) });
      i = close + 2;
    } else if (ch === '$') {
      const close = nextDollar(c, i + 1);
      const text = close < 0 ? '' : c.slice(i + 1, close);
      const currency = close < 0 || /\n\s*\n/.test(text) || (/^\s*\d/.test(text) && isProse(text));
      if (currency || text.trim() === '') {
        i++;
        continue;
      }
      spans.push({ start: i, end: close + 1, text });
      i = close + 1;
    } else {
      i++;
    }
  }
  return spans;
}

/** The next $ that can close a span: one followed by a digit is a price sign ("$204 + $160 = $364"), not a close. */
function nextDollar(c: string, from: number): number {
  for (let i = from; i < c.length; i++) {
    if (c[i] === '\\') i++;
    else if (c[i] === '$' && !/\d/.test(c[i + 1] ?? '')) return i;
  }
  return -1;
}

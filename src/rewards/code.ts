// Code rewards. They need the sandbox of the code-execution issue, which does not exist yet: until then they
// are registered and return null with that reason. The output comparison they will use is here and tested.

import type { Scored } from './nulls.js';

export const NO_SANDBOX: Scored = { skip: 'code sandbox not available yet (waiting on the code-execution issue)' };

/**
 * Program output against expected output, line by line over all lines: a missing or extra line fails (open-r1
 * zipped the two lists, so a truncated output passed). Trailing whitespace and trailing blank lines are ignored.
 */
export function outputsMatch(expected: string, actual: string): boolean {
  const lines = (s: string) => s.replace(/\r\n/g, '\n').split('\n').map((l) => l.trimEnd()).join('\n').replace(/\n+$/, '').split('\n');
  const e = lines(expected);
  const a = lines(actual);
  return e.length === a.length && e.every((l, i) => l === a[i]);
}

// The R1 completion format: a think block, then the answer in answer tags, nothing else. Two spellings are
// accepted: tiny-r1's, with nothing between the tags, and open-r1's, with one newline around each tag.

export const FORMAT_RE = /^<think>(?:(?!<\/?think>)[\s\S])*<\/think><answer>(?:(?!<\/?answer>)[\s\S])*<\/answer>$/;
export const FORMAT_NEWLINES_RE = /^<think>\n(?:(?!<\/?think>)[\s\S])*\n<\/think>\n<answer>\n(?:(?!<\/?answer>)[\s\S])*\n<\/answer>\n?$/;

export function isR1Format(completion: string): boolean {
  return FORMAT_RE.test(completion) || FORMAT_NEWLINES_RE.test(completion);
}

// The R1 completion format of Reprise's recipes: a think block, then the answer in answer tags, nothing else.

export const FORMAT_RE = /^<think>[\s\S]*?<\/think><answer>[\s\S]*?<\/answer>$/;

export function isR1Format(completion: string): boolean {
  return FORMAT_RE.test(completion);
}

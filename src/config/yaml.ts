// YAML documents with line numbers for error messages: parse once, then find the line of any key path.

import { LineCounter, isMap, isSeq, parseDocument, type Node } from 'yaml';
import { InputError } from '../util/errors.js';

export interface YamlDoc {
  value: unknown;
  /** The line of the deepest key along `path` that exists in the document. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

export function parseYaml(text: string, file: string): YamlDoc {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length) throw new InputError(`invalid YAML: ${doc.errors[0].message.split('\n')[0]}`, { file, line: doc.errors[0].linePos?.[0]?.line });
  const lineOf = (path: readonly (string | number)[]) => {
    let node: Node | null | undefined = doc.contents as Node;
    let line: number | undefined;
    for (const key of path) {
      if (!(isMap(node) || isSeq(node))) break;
      const pair: { key: unknown; value: unknown } | undefined = isMap(node) ? node.items.find((it) => (it.key as { value?: unknown })?.value === key) : undefined;
      const next: Node | undefined = isMap(node) ? (pair?.value as Node | undefined) : (node.items[key as number] as Node | undefined);
      const anchor = (pair?.key as Node | undefined) ?? next;
      if (anchor?.range) line = lc.linePos(anchor.range[0]).line;
      node = next;
    }
    return line;
  };
  return { value: doc.toJS(), lineOf };
}

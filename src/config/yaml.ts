// YAML documents with line numbers for error messages: parse once, then find the line of any key path.

import { LineCounter, isMap, isSeq, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../util/errors.js';
import { readText } from '../util/fs.js';

/** Alias uses a document may expand; more is refused (a "billion laughs" document expands exponentially). */
export const MAX_ALIAS_COUNT = 100;

/** Reads a config file; a missing one gets `hint` (where such files live), a directory or unreadable one says so. */
export function readConfigFile(path: string, what: string, hint: string): string {
  try {
    return readText(path);
  } catch (e) {
    if ((e as InputError).message?.endsWith(': no such file')) throw new InputError(`${what} not found`, { file: path, hint });
    throw e;
  }
}

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
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    throw new InputError(`YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} alias uses, or an alias to an undefined anchor): refused`, { file, hint: 'write the values out instead of nesting aliases' });
  }
  return { value, lineOf };
}

export interface SchemaIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Validates a YAML document against a schema; the first problem becomes an InputError naming the file, line and
 * key (the rest are listed after it). Unknown keys come first, with the keys allowed there: a misspelt key also
 * makes its intended key "missing". `check` adds checks that need registries, run once the schema passes.
 */
export function parseWithSchema<T>(
  schema: z.ZodType<T>,
  text: string,
  file: string,
  allowedKeys: (raw: unknown, path: (string | number)[]) => string[],
  check?: (value: T) => SchemaIssue[],
): T {
  const doc = parseYaml(text, file);
  return validateValue(schema, doc.value, file, doc.lineOf, allowedKeys, check);
}

/** parseWithSchema on a value already read (a recipe merged over the one it `extends`, with `--set` overrides). */
export function validateValue<T>(
  schema: z.ZodType<T>,
  value: unknown,
  file: string,
  lineOf: YamlDoc['lineOf'],
  allowedKeys: (raw: unknown, path: (string | number)[]) => string[],
  check?: (value: T) => SchemaIssue[],
  fileOf: (path: (string | number)[]) => string = () => file,
): T {
  const doc = { value, lineOf };
  const result = schema.safeParse(doc.value);
  const issues: SchemaIssue[] = [];
  if (!result.success) {
    const sorted = [...result.error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
    for (const is of sorted) {
      const path = is.path.filter((k): k is string | number => typeof k !== 'symbol');
      if (is.code === 'unrecognized_keys') {
        const allowed = allowedKeys(doc.value, path);
        for (const k of is.keys) issues.push({ path: [...path, k], message: `unknown key "${k}"; allowed keys here: ${allowed.join(', ')}` });
      } else if (is.code === 'invalid_value') {
        issues.push({ path, message: `${is.message}; allowed values: ${is.values.map(String).join(', ')}` });
      } else issues.push({ path, message: is.message });
    }
  } else if (check) issues.push(...check(result.data));
  if (issues.length) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more: ${issues.slice(1).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})` : '';
    throw new InputError(first.message + more, { file: fileOf(first.path), line: doc.lineOf(first.path), field: first.path.join('.') });
  }
  return result.data as T;
}

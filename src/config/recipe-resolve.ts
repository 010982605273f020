// A recipe document as the schema sees it: the file merged over the recipe it `extends` (objects key by key,
// lists and scalars replaced), then `--set key=value` overrides, each keeping the type of the value it replaces.

import { dirname, resolve } from 'node:path';
import { parseYaml, readConfigFile, type YamlDoc } from './yaml.js';
import { deepMerge } from './eval-spec.js';
import { InputError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';

export interface ResolvedDoc {
  value: unknown;
  /** The line of a key in the file that last wrote it (the recipe itself before the ones it extends). */
  lineOf: YamlDoc['lineOf'];
  /** The file of that line. */
  fileOf(path: readonly (string | number)[]): string;
  /** The files read, the named recipe first, then what it extends. */
  files: { path: string; text: string }[];
  overrides: Record<string, unknown>;
  /** The recipe file's own bytes when nothing is extended or overridden (as v1 runs recorded it), else of all inputs. */
  sha256: string;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** `extends: ../tiny-r1/v1.yaml` is relative to the file; `extends: tiny-r1/v1` names a recipe beside it in recipes/. */
function parentPath(file: string, ref: unknown): string {
  if (typeof ref !== 'string' || !ref) throw new InputError('extends must name a recipe, e.g. "tiny-r1/v1" or "../tiny-r1/v1.yaml"', { file, field: 'extends' });
  return ref.endsWith('.yaml') ? resolve(dirname(file), ref) : resolve(dirname(file), '..', `${ref}.yaml`);
}

export function resolveRecipeDoc(path: string, sets: readonly string[] = []): ResolvedDoc {
  const files: { path: string; text: string; doc: YamlDoc }[] = [];
  const chain = (file: string): unknown => {
    if (files.some((f) => f.path === file)) throw new InputError(`extends forms a cycle: ${[...files.map((f) => f.path), file].join(' → ')}`, { file, field: 'extends' });
    const text = readConfigFile(file, 'recipe file', 'recipes live in recipes/<name>/v<N>.yaml, e.g. recipes/tiny-r1/v1.yaml');
    const doc = parseYaml(text, file);
    files.push({ path: file, text, doc });
    if (!isObj(doc.value)) return doc.value;
    const { extends: parent, ...rest } = doc.value;
    return parent === undefined ? rest : deepMerge(chain(parentPath(file, parent)), rest);
  };
  const value = structuredClone(chain(path));
  // `sft: null` in a recipe that extends another drops the inherited stage
  if (isObj(value)) for (const [k, v] of Object.entries(value)) if (v === null) delete value[k];
  const overrides: Record<string, unknown> = {};
  for (const s of sets) {
    const { key, v } = applySet(value, s, path);
    overrides[key] = v;
  }
  const has = (d: YamlDoc, p: readonly (string | number)[]) => {
    let x: unknown = d.value;
    for (const k of p) {
      if (!isObj(x) && !Array.isArray(x)) return false;
      x = (x as Record<string, unknown>)[k as string];
      if (x === undefined) return false;
    }
    return true;
  };
  const owner = (p: readonly (string | number)[]) => files.find((f) => has(f.doc, p)) ?? files[0];
  return {
    value,
    lineOf: (p) => owner(p).doc.lineOf(p),
    fileOf: (p) => owner(p).path,
    files: files.map(({ path, text }) => ({ path, text })),
    overrides,
    sha256: files.length === 1 && !sets.length ? sha256(files[0].text) : sha256(JSON.stringify({ files: files.map((f) => f.text), overrides })),
  };
}

/** Applies `a.b.c=value` in place; the value keeps the type of the one it replaces (a new key is read as YAML). */
function applySet(root: unknown, set: string, file: string): { key: string; v: unknown } {
  const eq = set.indexOf('=');
  if (eq <= 0) throw new InputError(`--set ${set}: expected key=value, e.g. --set grpo.steps=5`, { file });
  const key = set.slice(0, eq).trim();
  const raw = set.slice(eq + 1);
  const parts = key.split('.');
  let node = root;
  for (const k of parts.slice(0, -1)) {
    const next = isObj(node) ? node[k] : Array.isArray(node) && /^\d+$/.test(k) ? node[Number(k)] : undefined;
    if (!isObj(next) && !Array.isArray(next)) throw new InputError(`--set ${key}: "${k}" is not a section of the recipe`, { file, field: key });
    node = next;
  }
  const leaf = parts[parts.length - 1];
  const container = node as Record<string, unknown>;
  const old = container[leaf];
  if (raw === 'null' && isObj(old)) {
    delete container[leaf]; // drops a section, e.g. --set sft=null (GRPO from the base)
    return { key, v: null };
  }
  const v = typed(raw, old, key, file);
  container[leaf] = v;
  return { key, v };
}

function typed(raw: string, old: unknown, key: string, file: string): unknown {
  const bad = (want: string) => new InputError(`--set ${key}=${raw}: expected ${want} (the recipe has ${JSON.stringify(old)})`, { file, field: key });
  if (typeof old === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw bad('a number');
    return n;
  }
  if (typeof old === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw bad('true or false');
    return raw === 'true';
  }
  if (typeof old === 'string') return raw;
  const v = parseYaml(raw, `--set ${key}`).value;
  if (Array.isArray(old) && !Array.isArray(v)) throw bad('a list, e.g. [1, 2]');
  if (isObj(old) && !isObj(v)) throw bad('a mapping, e.g. {a: 1}');
  return v;
}

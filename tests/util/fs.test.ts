import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync, renameSync } from 'node:fs';
import { appendJsonl, readJson, readJsonl, uncaughtFsError, writeFileAtomic, writeJsonAtomic } from '../../src/util/fs.js';
import { RepriseError } from '../../src/util/errors.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'reprise-fs-'));
const thrown = (f: () => unknown): RepriseError => {
  try {
    f();
  } catch (e) {
    return e as RepriseError;
  }
  throw new Error('did not throw');
};

describe('atomic writes', () => {
  it('a write that fails (a directory where the file goes) says so, naming the file, and leaves no temporary file', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'summary.json'));
    const e = thrown(() => writeJsonAtomic(join(dir, 'summary.json'), { a: 1 }));
    expect(e).toBeInstanceOf(RepriseError);
    expect(e.code).toBe('E_IO');
    expect(e.message).toContain(`${join(dir, 'summary.json')}: a directory is in the way`);
    expect(readdirSync(dir)).toEqual(['summary.json']);
  });

  it('a write under a path whose parent is a file says so and leaves nothing behind', () => {
    const dir = tmp();
    writeFileAtomic(join(dir, 'f'), 'x');
    const e = thrown(() => writeFileAtomic(join(dir, 'f', 'g.json'), 'y'));
    expect(e.code).toBe('E_IO');
    expect(e.message).toMatch(/f\/g\.json: part of the path is a file, not a directory/);
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('a full disk (ENOSPC, from /dev/full) is a clear error naming the file', () => {
    const e = thrown(() => appendJsonl('/dev/full', { a: 1 }));
    expect(e.code).toBe('E_IO');
    expect(e.message).toMatch(/^\/dev\/full: no space left on device/);
  });
});

describe('reading input files', () => {
  it('a directory given as a file is E_INPUT naming it', () => {
    const dir = tmp();
    for (const read of [readJson, readJsonl]) {
      const e = thrown(() => read(dir));
      expect(e.code).toBe('E_INPUT');
      expect(e.message).toBe(`${dir}: is a directory, not a file`);
    }
  });

  it('a missing file is E_INPUT naming it', () => {
    const e = thrown(() => readJsonl('/nonexistent/x.jsonl'));
    expect(e.code).toBe('E_INPUT');
    expect(e.message).toBe('/nonexistent/x.jsonl: no such file');
  });
});

describe('fs errors that reach the command line unwrapped', () => {
  it('become errors naming the file: E_INPUT for a read, E_IO for a write', () => {
    const dir = tmp();
    const read = uncaughtFsError(thrown(() => readFileSync(join(dir, 'missing.jsonl'))));
    expect([read?.code, read?.message]).toEqual(['E_INPUT', `${join(dir, 'missing.jsonl')}: no such file`]);
    expect(uncaughtFsError(thrown(() => readFileSync(dir)))?.message).toBe('(read): is a directory, not a file');
    const write = uncaughtFsError(thrown(() => renameSync(join(dir, 'a'), join(dir, 'b'))));
    expect(write?.code).toBe('E_IO');
    expect(write?.message).toBe(`${join(dir, 'a')}: no such directory (ENOENT, cannot write)`);
    expect(uncaughtFsError(new Error('not fs'))).toBeUndefined();
  });
});

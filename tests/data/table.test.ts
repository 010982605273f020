import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readTable } from '../../src/data/table.js';

describe('readTable', () => {
  it('reads gzipped JSONL (a data directory may hold <local>.jsonl.gz), with line numbers in its errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'table-'));
    writeFileSync(join(dir, 'ok.jsonl.gz'), gzipSync('{"q": "a"}\n\n{"q": "b"}\n'));
    expect(await readTable(join(dir, 'ok.jsonl.gz'))).toEqual([{ q: 'a' }, { q: 'b' }]);
    writeFileSync(join(dir, 'bad.jsonl.gz'), gzipSync('{"q": "a"}\n{"q": \n'));
    await expect(readTable(join(dir, 'bad.jsonl.gz'))).rejects.toThrow(/bad\.jsonl\.gz, line 2: invalid JSON/);
  });

  it('refuses a file that is not gzip, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'table-'));
    writeFileSync(join(dir, 'plain.jsonl.gz'), '{"q": "a"}\n');
    await expect(readTable(join(dir, 'plain.jsonl.gz'))).rejects.toThrow(/plain\.jsonl\.gz: cannot gunzip: .*[\s\S]*fetch it again/);
  });
});

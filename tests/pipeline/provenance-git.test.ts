// The dirty flag: changed code makes a checkout dirty; new output under reports/ does not.

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitState } from '../../src/pipeline/provenance.js';

describe('gitState', () => {
  it('is clean with new files under reports/, dirty with any other change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-git-'));
    const git = (...a: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...a], { cwd: dir });
    git('init', '-q');
    writeFileSync(join(dir, 'a.ts'), 'x\n');
    git('add', '.');
    git('commit', '-qm', 'one');
    expect(await gitState(dir)).toMatchObject({ dirty: false });
    mkdirSync(join(dir, 'reports', 'bench'), { recursive: true });
    writeFileSync(join(dir, 'reports', 'bench', 'x.json'), '{}\n');
    expect(await gitState(dir)).toMatchObject({ dirty: false });
    writeFileSync(join(dir, 'a.ts'), 'y\n');
    expect(await gitState(dir)).toMatchObject({ dirty: true });
  });
});

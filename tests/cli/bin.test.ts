import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

// a fresh npm cache: npx installs the project itself into it, as on a user's first `npx reprise`
function exec(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, npm_config_cache: mkdtempSync(join(tmpdir(), 'reprise-npm-')), npm_config_offline: 'true' };
  return new Promise((done) => {
    execFile(cmd, args, { cwd, env }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the reprise bin straight after install (no build step)', () => {
  it('`npx reprise --version` prints the package version and the git commit', async () => {
    const r = await exec('npx', ['reprise', '--version'], root);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(new RegExp(`^${version.replace(/\./g, '\\.')}( \\([0-9a-f]{7,}(, dirty)?\\))?$`));
  }, 60_000);

  it('`node bin/reprise.js --help` lists the commands from any working directory', async () => {
    const r = await exec(process.execPath, [join(root, 'bin/reprise.js'), '--help'], mkdtempSync(join(tmpdir(), 'reprise-bin-')));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: reprise /);
    for (const c of ['run', 'eval', 'serve', 'datagen', 'validate']) expect(r.stdout).toContain(`  ${c} `);
  }, 60_000);
});

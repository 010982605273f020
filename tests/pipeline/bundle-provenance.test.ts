// A bundle run on another machine (scripts/device/*-bundle.sh) reports the commit and package versions it was built
// from — not the checkout it runs in, which there may be at another commit and has no node_modules.

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gitState, packageVersions } from '../../src/pipeline/provenance.js';

const root = resolve(__dirname, '../..');

describe('a bundle\'s provenance', () => {
  it('is the commit, dirty flag and versions of the tree it was built from, marked as a bundle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-prov-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, `import { codeProvenance } from ${JSON.stringify(join(root, 'src/pipeline/provenance.ts'))};\nprocess.stdout.write(JSON.stringify(await codeProvenance()));\n`);
    const prov = execFileSync(join(root, 'node_modules/.bin/tsx'), [join(root, 'scripts/bundle-provenance.ts')], { cwd: root, encoding: 'utf8' });
    const out = join(dir, 'b.mjs');
    execFileSync(join(root, 'node_modules/.bin/esbuild'), [entry, '--bundle', '--platform=node', '--format=esm', '--log-level=warning', `--define:process.env.REPRISE_BUNDLE_PROVENANCE=${prov}`, `--outfile=${out}`, `--banner:js=import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);`]);
    // run where there is neither a repository nor node_modules
    const got = JSON.parse(execFileSync(process.execPath, [out], { cwd: dir, encoding: 'utf8', env: { ...process.env, REPRISE_QUIET: '1' } })) as Record<string, unknown>;
    const g = await gitState(root);
    expect(got.git_commit).toBe(g.commit);
    expect(got.git_dirty).toBe(g.dirty);
    expect(got.bundle).toBe(true);
    const versions = got.versions as Record<string, string>;
    const want = packageVersions(root);
    expect(versions['@tensorflow/tfjs-core']).toBe(want['@tensorflow/tfjs-core']);
    expect(versions['@tensorflow/tfjs-core']).not.toBe('unknown');
    expect(versions.zod).toBe(want.zod);
    expect(versions.node).toBe(process.version);
  }, 60_000);
});

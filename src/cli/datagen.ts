// `reprise datagen <recipe> [--check] [--out-dir DIR] [--data-dir DIR]`: builds a datagen recipe's datasets, or checks that the
// deterministic ones rebuild to the hashes in their manifests (exit 2 naming each file that differs).

export interface DatagenFlags {
  check?: boolean;
  outDir?: string;
  dataDir?: string;
  json?: boolean;
}

export async function datagenCommand(recipe: string, opts: DatagenFlags = {}): Promise<void> {
  const { buildDatagen } = await import('../../datagen/build.js');
  const r = await buildDatagen(recipe, { check: opts.check, outDir: opts.outDir, dataDir: opts.dataDir });
  if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else if (opts.check) process.stdout.write(`datagen --check: ${r.checked.length} dataset(s) match their manifests${r.skipped.length ? `; skipped (not deterministic): ${r.skipped.join(', ')}` : ''}\n`);
  else process.stdout.write(`datagen: ${Object.keys(r.built).length} dataset(s) under ${r.outDir}\n`);
}

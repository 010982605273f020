// Prints, as a JavaScript string literal for esbuild's --define, the provenance a bundle carries: the commit it was
// built from, whether the tree was dirty, and the package versions. A bundle runs on machines without node_modules,
// in a checkout that may be at another commit (scripts/device/*-bundle.sh).
//   npx esbuild … --define:process.env.REPRISE_BUNDLE_PROVENANCE="$(npx tsx scripts/bundle-provenance.ts)"
import { gitState, packageVersions } from '../src/pipeline/provenance.js';
import { packageRoot } from '../src/util/paths.js';

const root = packageRoot();
const g = await gitState(root);
process.stdout.write(JSON.stringify(JSON.stringify({ git_commit: g.commit, git_dirty: g.dirty, versions: packageVersions(root) })));

#!/usr/bin/env bash
# Packs the `reprise` CLI and bench/torch-e2e.ts for the GPU machine, which has no node_modules: ESM bundles plus
# the tfjs wasm binaries beside them (the bundle defines __dirname, where tfjs-backend-wasm looks for them).
# Usage: scripts/device/torch-bundle.sh [dir]   (default .torchbundle, an ignored folder the integrator carries)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.torchbundle}
mkdir -p "$out"
commit="$(git rev-parse HEAD)$(git diff --quiet HEAD || echo -dirty)"
banner="import { createRequire as __cr } from 'module'; import { fileURLToPath as __fu } from 'url'; import { dirname as __dn } from 'path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
for entry in src/cli.ts:reprise.mjs bench/torch-e2e.ts:torch-e2e.mjs; do
  npx esbuild "${entry%%:*}" --bundle --platform=node --format=esm --target=node20 --external:webgpu \
    --banner:js="$banner" --define:process.env.REPRISE_BUNDLE_COMMIT="\"$commit\"" \
    --outfile="$out/${entry##*:}" --log-level=warning
done
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$out/"
echo "$commit" > "$out/COMMIT"
du -sh "$out"

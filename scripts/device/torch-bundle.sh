#!/usr/bin/env bash
# Packs what scripts/device/torch-e2e.sh runs on the GPU machine, which has no node_modules: the CLI bundle of
# cli-bundle.sh (cli.mjs + the tfjs wasm binaries) and bench/torch-e2e.ts as torch-e2e.mjs, which records the commit.
# Usage: scripts/device/torch-bundle.sh [dir]   (default .torchbundle, an ignored folder the integrator carries)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.torchbundle}
scripts/device/cli-bundle.sh "$out" >/dev/null
commit="$(git rev-parse HEAD)$(git diff --quiet HEAD || echo -dirty)"
npx esbuild bench/torch-e2e.ts --bundle --platform=node --format=esm --target=node20 --external:webgpu \
  --banner:js="import { createRequire as __cr } from 'module'; import { fileURLToPath as __fu } from 'url'; import { dirname as __dn } from 'path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);" \
  --define:process.env.REPRISE_BUNDLE_COMMIT="\"$commit\"" --minify-whitespace --minify-syntax \
  --outfile="$out/torch-e2e.mjs" --log-level=warning
du -sh "$out"

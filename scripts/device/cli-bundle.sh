#!/usr/bin/env bash
# Packs the CLI for the GPU machine, which has no node_modules: one ESM bundle, the tfjs wasm binaries beside it, and
# the linux-x64 Dawn binary of the `webgpu` package (other platforms' builds would not fit the 64 MiB that travels).
# Usage: scripts/device/cli-bundle.sh [--webgpu] [dir]   (default .clibundle, an ignored folder; carry it with .device)
# --webgpu adds Dawn (21 MB); without it the bundle runs the wasm and cpu backends only.
# On the device: source .device/on-device.sh && node .clibundle/cli.mjs <command> ...
set -euo pipefail
cd "$(dirname "$0")/../.."
webgpu=0; if [ "${1:-}" = --webgpu ]; then webgpu=1; shift; fi
out=${1:-.clibundle}
rm -rf "$out" && mkdir -p "$out"
prov=$(npx tsx scripts/bundle-provenance.ts)  # the commit and versions the bundle's reports name
npx esbuild src/cli.ts --bundle --platform=node --format=esm --target=node20 --external:webgpu \
  --banner:js="import { createRequire as __cr } from 'module'; import { fileURLToPath as __fu } from 'url'; import { dirname as __dn } from 'path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);" \
  --define:process.env.REPRISE_BUNDLE_PROVENANCE="$prov" --minify-whitespace --minify-syntax --outfile="$out/cli.mjs" --log-level=warning
cp node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/*.wasm "$out/"
if [ $webgpu = 1 ]; then
  w=node_modules/webgpu
  mkdir -p "$out/node_modules/webgpu/dist/linux-x64"
  cp $w/package.json $w/index.js "$out/node_modules/webgpu/"
  cp $w/dist/linux-x64/dawn.node "$out/node_modules/webgpu/dist/linux-x64/"
fi
du -sh "$out"

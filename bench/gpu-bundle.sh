#!/usr/bin/env bash
# Packs bench/gpu.ts for the GPU machine, which has no node_modules: one ESM bundle plus the linux-x64 Dawn binary
# of the `webgpu` package (its other platforms' builds would not fit the 64 MiB that travels).
# Usage: bench/gpu-bundle.sh <dir>   (e.g. an ignored folder of the checkout that goes to the device)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/gpu-bundle.sh <dir>}
mkdir -p "$out/node_modules/webgpu/dist/linux-x64"
npx esbuild bench/gpu.ts --bundle --platform=node --format=esm --target=node20 --external:webgpu \
  --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);" \
  --define:process.env.REPRISE_BENCH_COMMIT="\"$(git rev-parse --short=12 HEAD)$(git diff --quiet HEAD || echo -dirty)\"" \
  --outfile="$out/gpu.mjs" --log-level=warning
cp bench/gpu_torch.py "$out/"
w=node_modules/webgpu
cp $w/package.json $w/index.js "$out/node_modules/webgpu/"
cp $w/dist/linux-x64/dawn.node "$out/node_modules/webgpu/dist/linux-x64/"
du -sh "$out"

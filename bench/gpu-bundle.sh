#!/usr/bin/env bash
# Packs what the GPU machine runs, which has no node_modules, into one folder: ESM bundles of bench/gpu.ts (gpu.mjs)
# and of the CLI (cli.mjs), the Python references, and the `webgpu` package with only its linux-x64 Dawn binary,
# xz-compressed (scripts/device/webgpu-e2e.sh unpacks it; the other platforms' builds would not fit the 64 MiB
# that travels). Usage: bench/gpu-bundle.sh <dir>   (an ignored folder of the checkout, e.g. .gpubundle)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/gpu-bundle.sh <dir>}
rm -rf "$out"
mkdir -p "$out/node_modules/webgpu"
commit="$(git rev-parse --short=12 HEAD)$(git diff --quiet HEAD || echo -dirty)"
prov=$(npx tsx scripts/bundle-provenance.ts)  # the commit and versions the bundle's reports name
for entry in bench/gpu.ts:gpu.mjs src/cli.ts:cli.mjs; do
  npx esbuild "${entry%%:*}" --bundle --platform=node --format=esm --target=node20 --external:webgpu \
    --banner:js="import { createRequire as __cr } from 'module'; import { fileURLToPath as __fu } from 'url'; import { dirname as __dn } from 'path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);" \
    --define:process.env.REPRISE_BENCH_COMMIT="\"$commit\"" --define:process.env.REPRISE_BUNDLE_PROVENANCE="$prov" \
    --outfile="$out/${entry##*:}" --log-level=warning
done
echo "$commit" > "$out/COMMIT"
cp bench/gpu_torch.py bench/gpu_torch_qwen.py "$out/"
cp node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/*.wasm "$out/"   # the wasm backend loads them from beside the bundle
w=node_modules/webgpu
cp $w/package.json $w/index.js "$out/node_modules/webgpu/"
xz -T0 -6 -c $w/dist/linux-x64/dawn.node > "$out/dawn.node.xz"
du -sh "$out"

"""Each eval metric of a tiny-r1 run on webgpu beside the committed wasm run's: values, 95% intervals, whether the
intervals overlap and whether each value lies inside the other run's interval; stage wall times of both.
Usage: webgpu-compare.py <wasm summary.json> <webgpu summary.json> <commit>; prints one JSON object."""
import json, sys

wasm, gpu = (json.load(open(p)) for p in sys.argv[1:3])


def metrics(s):
    return {(m["model"], k): v for m in s["models"] for k, v in m["metrics"].items()}


a, b = metrics(wasm), metrics(gpu)
rows = []
for key in sorted(a.keys() & b.keys()):
    x, y = a[key], b[key]
    rows.append({
        "model": key[0], "metric": key[1],
        "wasm": [x["value"], x["lo"], x["hi"]], "webgpu": [y["value"], y["lo"], y["hi"]],
        "overlap": x["lo"] <= y["hi"] and y["lo"] <= x["hi"],
        "webgpu_in_wasm_interval": x["lo"] <= y["value"] <= x["hi"],
        "wasm_in_webgpu_interval": y["lo"] <= x["value"] <= y["hi"],
    })
print(json.dumps({
    "commit": sys.argv[3],
    "what": "tiny-r1 v2 eval metrics ([value, lo, hi], 95% percentile bootstrap) on webgpu (this run) and wasm (reports/runs/tiny-r1-v2-s1234)",
    "all_overlap": all(r["overlap"] for r in rows),
    "metrics": rows,
    "paired": {"wasm": wasm.get("paired"), "webgpu": gpu.get("paired")},
    "wall_s": {"wasm": wasm["provenance"].get("wall_s"), "webgpu": gpu["provenance"].get("wall_s")},
    "backend": {"wasm": wasm["provenance"].get("backend"), "webgpu": gpu["provenance"].get("backend")},
    "only_in_one": sorted(map(list, a.keys() ^ b.keys())),
}, indent=1))

#!/usr/bin/env python3
"""Combines the GPU run of make_loss_fixture.py (its report), the tfjs test's errors (REPRISE_LOSS_FIXTURE_REPORT=tfjs.json
npx vitest run tests/train/loss-fixture.test.ts) and optionally the worker's --self-test output into one parity report.

  python3 workers/torch/loss_report.py TORCH_REPORT.json TFJS.json [SELFTEST.json] OUT.json
"""
import json, sys, subprocess
torch_rep = json.load(open(sys.argv[1])); tfjs = json.load(open(sys.argv[2])); selftest = json.load(open(sys.argv[3])) if len(sys.argv) > 4 else None  # noqa: E501
commit = subprocess.check_output(["git", "rev-parse", "HEAD"], text=True).strip()
out = {"date": torch_rep["date"], "what": "shared loss fixture tests/fixtures/loss/loss-fixture.json: torch float32 (GPU) and tfjs float32 (wasm) vs torch float64 reference",
       "commit_of_generator": commit, "tolerance": torch_rep["tolerance"], "error_metric": "max |a - b| / max |b| per array",
       "torch": {k: torch_rep[k] for k in ("device", "torch_device", "python", "versions", "missing", "max_rel_err", "max_rel_err_by_case", "ok")},
       "tfjs": {"backend": "wasm", "max_rel_err": tfjs["max_rel_err"], "max_rel_err_by_case": tfjs["by_case"], "ok": tfjs["max_rel_err"] <= tfjs["tolerance"]}}
if selftest: out["worker_self_test"] = selftest
json.dump(out, open(sys.argv[-1], "w"), indent=1)

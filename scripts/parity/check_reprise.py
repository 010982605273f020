"""Phase 2 of the parity check: compare Reprise's logits with the transformers/PEFT references, on the GPU machine.

Inputs (written by Reprise's own dump command, see README.md):
  <dump>/<fixture>.reprise.safetensors   F32 `logits` [2, T, V] on that fixture's expected.json `inputs`
  --adapter DIR                          a PEFT adapter directory written by Reprise (adapter_config.json +
                                         adapter_model.safetensors), trained on the base fixture --adapter-base
  --adapter-logits FILE                  Reprise's logits with that adapter: F32 `logits`, optional int `input_ids`
                                         (default: the base fixture's expected.json inputs)
  --merged DIR                           optional: the merged Hugging Face checkpoint Reprise wrote for that adapter

Writes reports/parity/<date>-logits.json (and <date>-adapter.json when --adapter is given):
  {date, transformers_version, torch_version, peft_version, threshold, ok, results: [{arch, dtype, fixture,
   max_rel_err, ok}, ...]}
max_rel_err = max|reprise - reference| / max|reference| over the whole logits tensor. Exit 1 if any row fails.
"""
import argparse
import datetime
import json
import os
import sys

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

THRESHOLD = 1e-4


def rel_err(a, b):
    return float((a.float() - b.float()).abs().max() / b.float().abs().max())


def versions():
    import peft
    return {"transformers_version": transformers.__version__, "torch_version": torch.__version__,
            "peft_version": peft.__version__}


def write_report(path, rows, extra=None):
    report = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(), **versions(),
              "threshold": THRESHOLD, "ok": all(r["ok"] for r in rows), "results": rows, **(extra or {})}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
    print(json.dumps(report, indent=1))
    return report["ok"]


def read_expected(d):
    with open(os.path.join(d, "expected.json"), encoding="utf-8") as f:
        return json.load(f)


def load_reprise_logits(path, shape):
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: Reprise's dump for this fixture is missing")
    t = load_file(path)
    if "logits" not in t:
        raise KeyError(f"{path}: no tensor named 'logits' (has {sorted(t)})")
    if list(t["logits"].shape) != list(shape):
        raise ValueError(f"{path}: logits shape {list(t['logits'].shape)}, expected {list(shape)}")
    return t


def check_logits(fixtures, dump, only):
    """Reprise's logits against the stored transformers logits, per fixture (arch and dtype from expected.json)."""
    rows = []
    for name in sorted(os.listdir(fixtures)):
        d = os.path.join(fixtures, name)
        if not os.path.exists(os.path.join(d, "expected.safetensors")) or (only and name not in only):
            continue
        exp = read_expected(d)
        ref = load_file(os.path.join(d, "expected.safetensors"))
        row = {"arch": exp["arch"], "dtype": exp["dtype"], "fixture": name}
        try:
            got = load_reprise_logits(os.path.join(dump, f"{name}.reprise.safetensors"), ref["logits"].shape)
            row["max_rel_err"] = rel_err(got["logits"], ref["logits"])
            if "merged_logits" in ref and "merged_logits" in got:
                row["merged_max_rel_err"] = rel_err(got["merged_logits"], ref["merged_logits"])
            row["ok"] = row["max_rel_err"] <= THRESHOLD and row.get("merged_max_rel_err", 0.0) <= THRESHOLD
        except Exception as e:  # a missing or malformed dump is a failed row, never a number
            row.update(max_rel_err=None, ok=False, error=f"{type(e).__name__}: {e}")
        rows.append(row)
        print(row, flush=True)
    return rows


def peft_logits(base_dir, adapter_dir, inputs):
    from peft import PeftModel
    base = transformers.AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32, attn_implementation="eager")
    model = PeftModel.from_pretrained(base, adapter_dir).eval()
    with torch.no_grad():
        return model(input_ids=inputs, attention_mask=torch.ones_like(inputs)).logits.float()


def hf_logits(model_dir, inputs):
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32,
                                                              attn_implementation="eager").eval()
    with torch.no_grad():
        return model(input_ids=inputs, attention_mask=torch.ones_like(inputs)).logits.float()


def check_adapter(args):
    """A Reprise-written adapter loaded by PEFT must give Reprise's logits (and its merged checkpoint, by transformers)."""
    exp = read_expected(args.adapter_base)
    got = load_file(args.adapter_logits)
    inputs = got["input_ids"].long() if "input_ids" in got else torch.tensor(exp["inputs"], dtype=torch.long)
    ref = peft_logits(args.adapter_base, args.adapter, inputs)
    base = hf_logits(args.adapter_base, inputs)
    rows = [{"arch": exp["arch"], "dtype": "float32", "fixture": os.path.basename(os.path.normpath(args.adapter)),
             "what": "reprise logits vs PEFT loading reprise's adapter", "max_rel_err": rel_err(got["logits"], ref)}]
    if args.merged:
        rows.append({"arch": exp["arch"], "dtype": "float32", "fixture": os.path.basename(os.path.normpath(args.merged)),
                     "what": "transformers loading reprise's merged checkpoint vs PEFT with the adapter",
                     "max_rel_err": rel_err(hf_logits(args.merged, inputs), ref)})
    for r in rows:
        r["ok"] = r["max_rel_err"] <= THRESHOLD
    # An adapter that changes nothing would pass trivially; record how far it moves the base model.
    extra = {"adapter_vs_base_rel_diff": rel_err(ref, base), "base_dir": args.adapter_base,
             "adapter_dir": args.adapter}
    return rows, extra


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", default="tests/fixtures/hf")
    ap.add_argument("--dump", help="folder with <fixture>.reprise.safetensors files")
    ap.add_argument("--only", nargs="*", help="fixture names (default: every fixture with expected.safetensors)")
    ap.add_argument("--adapter", help="a PEFT adapter directory written by Reprise")
    ap.add_argument("--adapter-base", default="tests/fixtures/hf/qwen2")
    ap.add_argument("--adapter-logits", help="Reprise's logits with --adapter (safetensors: logits[, input_ids])")
    ap.add_argument("--merged", help="Reprise's merged Hugging Face checkpoint for --adapter")
    ap.add_argument("--reports", default="reports/parity")
    args = ap.parse_args()
    torch.set_default_dtype(torch.float32)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    ok = True
    if args.dump:
        rows = check_logits(args.fixtures, args.dump, args.only)
        if not rows:
            sys.exit(f"no fixtures with expected.safetensors under {args.fixtures}")
        ok &= write_report(os.path.join(args.reports, f"{date}-logits.json"), rows)
    if args.adapter:
        if not args.adapter_logits:
            sys.exit("--adapter needs --adapter-logits (Reprise's logits with that adapter)")
        rows, extra = check_adapter(args)
        ok &= write_report(os.path.join(args.reports, f"{date}-adapter.json"), rows, extra)
    if not args.dump and not args.adapter:
        sys.exit("nothing to do: give --dump and/or --adapter")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

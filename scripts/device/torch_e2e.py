#!/usr/bin/env python3
"""The torch half of scripts/device/torch-e2e.sh (python3 with torch, transformers, peft):
  make-model OUT_DIR TOKENIZER_DIR VOCAB   a random Qwen2.5-0.5B-shaped Qwen2 (24 layers, d 896, 14 heads, 2 kv
                                           heads, MLP 4864) with the tokenizer and chat template of TOKENIZER_DIR
  parity TFJS_LOGITS.json DIR [ADAPTER]    transformers (+ peft) logits of DIR on the same ids as tfjs; max |diff|
  summary OUT.json RUN=WORKDIR...          step times, tokens/s, peak GPU memory from each run's stage logs
  curves A_WORKDIR B_WORKDIR               loss curves of two runs of one recipe: within 1e-5 (relative, absolute near 0)
"""
import glob
import json
import os
import shutil
import sys


def make_model(out, tok_dir, vocab):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM
    src = json.load(open(os.path.join(tok_dir, "config.json")))
    cfg = Qwen2Config(vocab_size=int(vocab), hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                      num_key_value_heads=2, max_position_embeddings=32768, rms_norm_eps=1e-6, tie_word_embeddings=True,
                      eos_token_id=src.get("eos_token_id"), pad_token_id=src.get("pad_token_id"),
                      bos_token_id=src.get("bos_token_id"))
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(cfg)
    shutil.rmtree(out, ignore_errors=True)
    model.save_pretrained(out)
    for f in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json"):
        if os.path.exists(os.path.join(tok_dir, f)):
            shutil.copy(os.path.join(tok_dir, f), os.path.join(out, f))
    print(json.dumps({"dir": out, "params": sum(p.numel() for p in model.parameters())}))


def parity(tfjs_file, d, adapter=None):
    import torch
    from transformers import AutoModelForCausalLM
    ref = json.load(open(tfjs_file))
    model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32)
    if adapter:
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, adapter)
    model.eval()
    with torch.no_grad():
        lg = model(input_ids=torch.tensor(ref["ids"])).logits.reshape(-1, model.config.vocab_size if not adapter else model.base_model.model.config.vocab_size)
    tf_lg = torch.tensor(ref["logits"], dtype=torch.float32)
    diff = (lg - tf_lg).abs().max().item()
    out = {"dir": d, "adapter": adapter, "max_abs_diff": diff, "ok": diff <= 1e-4, "tolerance": 1e-4}
    print(json.dumps(out))
    return 0 if out["ok"] else 1


def logs(work):
    rows = {}
    for stage in ("sft", "grpo"):
        for d in sorted(glob.glob(os.path.join(work, "stages", f"{stage}-*"))):
            f = os.path.join(d, "log.jsonl")
            if os.path.exists(f):
                rows[stage] = [json.loads(l) for l in open(f) if l.strip()]
                done = os.path.join(d, "done.json")
                rows[stage + "_done"] = json.load(open(done))["outputs"] if os.path.exists(done) else None
    return rows


def summary(out, runs):
    res = {}
    for spec in runs:
        name, work = spec.split("=", 1)
        r = logs(work)
        fig = {}
        for stage in ("sft", "grpo"):
            rows = r.get(stage) or []
            if not rows:
                continue
            st = [x["step_s"] for x in rows if x.get("step_s") is not None]
            done = r.get(stage + "_done") or {}
            fig[stage] = {"steps_logged": len(rows), "step_s_median": sorted(st)[len(st) // 2] if st else None, "step_s": st,
                          "tokens_per_s": done.get("tokens_per_s") or done.get("sample_tokens_per_s"),
                          "train_s": done.get("train_s"), "world_size": done.get("world_size"),
                          "peak_gpu_mem_gib": max([x.get("peak_mem_bytes") or 0 for x in rows]) / 2**30,
                          "loss": [x.get("loss") for x in rows]}
            if stage == "sft" and st:
                fig[stage]["padded_tokens_per_step_s"] = sum(x.get("step_tokens") or 0 for x in rows) / max(sum(st), 1e-9)
            if stage == "grpo":
                fig[stage]["sample_s"] = [x.get("sample_s") for x in rows]
                fig[stage]["sampled_tokens_per_sample_s"] = sum(x.get("sample_tokens") or 0 for x in rows) / max(sum(x.get("sample_s") or 0 for x in rows), 1e-9)
                fig[stage]["reward_mean"] = [x.get("reward/total/mean") for x in rows]
        res[name] = fig
    json.dump(res, open(out, "w"), indent=1)
    print(json.dumps(res)[:2000])


def curves(a, b, tol=1e-5):
    """|x - y| <= tol * max(|x|, |y|, 1) for every logged loss, gradient norm (and GRPO's mean reward): relative for
    the SFT losses, absolute near zero, where GRPO's loss is (one pass: the advantages of a group sum to zero)."""
    ra, rb = logs(a), logs(b)
    out = {}
    for stage in ("sft", "grpo"):
        xa, xb = ra.get(stage) or [], rb.get(stage) or []
        if not xa or len(xa) != len(xb):
            out[stage] = {"ok": False, "why": f"{len(xa)} vs {len(xb)} logged steps"}
            continue
        keys = ["loss", "grad_norm"] + (["reward/total/mean"] if stage == "grpo" else [])
        res = {"ok": True, "tolerance": tol}
        for k in keys:
            d = max(abs(x[k] - y[k]) / max(abs(x[k]), abs(y[k]), 1.0) for x, y in zip(xa, xb))
            res[k] = {"max_scaled_diff": d, "a": [x[k] for x in xa], "b": [y[k] for y in xb]}
            res["ok"] = res["ok"] and d <= tol
        out[stage] = res
    print(json.dumps(out))
    return 0 if all(v["ok"] for v in out.values()) else 1


def record(src, out, commit):
    """bench/record.ts's shape (date, git, platform, cpus, then the figures) for a run without torch-e2e.mjs."""
    import datetime
    import os
    import platform
    model = ""
    try:
        model = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    commit = commit.strip() or None
    rec = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
           "git": {"commit": commit.removesuffix("-dirty") if commit else None, "dirty": commit.endswith("-dirty") if commit else None},
           "platform": f"linux-{platform.machine().replace('x86_64', 'x64')} {model}".strip(), "cpus": os.cpu_count()}
    rec.update(json.load(open(src)))
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(rec, f, indent=2)
    os.replace(tmp, out)
    print(json.dumps({k: rec[k] for k in ("date", "git", "platform", "cpus")}))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "make-model":
        make_model(*args)
    elif cmd == "parity":
        sys.exit(parity(*args))
    elif cmd == "summary":
        summary(args[0], args[1:])
    elif cmd == "record":
        record(*args)
    elif cmd == "curves":
        sys.exit(curves(*args))
    else:
        sys.exit(__doc__)

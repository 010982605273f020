"""The worker's self-test: drives reprise_worker.py as a subprocess through hello, load (LoRA), generate,
logprobs, grpo and sft steps, a bad request and save (adapter, merged model, optimizer state), and prints a summary."""
import json
import math
import os
import subprocess
import sys

PROTOCOL_VERSION = 2


def self_test(worker, model_dir, out_dir):
    """Drives the worker file as a subprocess; ok when every command answered as it should."""
    p = subprocess.Popen([sys.executable, worker], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    log = []

    def call(req):
        p.stdin.write(json.dumps(req) + "\n")
        p.stdin.flush()
        res = json.loads(p.stdout.readline())
        log.append({"cmd": req["cmd"], "ok": res["ok"], **({"result": res["result"]} if res["ok"] else {"error": res["error"]})})
        if not res["ok"]:
            raise RuntimeError(f"{req['cmd']} failed: {res['error']}")
        return res["result"]

    B, T = 4, 8
    inputs = [[(7 * b + 3 * t) % 300 + 1 for t in range(T)] for b in range(B)]
    targets = [row[1:] + [0] for row in inputs]
    mask = [[1.0 if t >= 3 else 0.0 for t in range(T)] for b in range(B)]
    flat = lambda x: [v for row in x for v in row]
    batch = {"B": B, "T": T, "inputs": flat(inputs), "targets": flat(targets), "mask": flat(mask)}
    call({"id": 1, "cmd": "hello", "protocol": PROTOCOL_VERSION})
    call({"id": 2, "cmd": "load", "path": model_dir, "dtype": "float32", "seed": 0,
          "lora": {"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"]}, "optimizer": {"lr": 1e-2}})
    gen = call({"id": 10, "cmd": "generate", "prompts": [inputs[0][:4], inputs[0][:4], inputs[1][:3]], "seeds": [1, 2, 1],
                "temperature": 1.0, "top_p": 0.9, "top_k": 50, "max_tokens": 6, "eos_ids": [0]})
    gen2 = call({"id": 11, "cmd": "generate", "prompts": [inputs[0][:4]], "seeds": [2], "temperature": 1.0, "top_p": 0.9,
                 "top_k": 50, "max_tokens": 6, "eos_ids": [0]})
    lp0 = call({"id": 3, "cmd": "logprobs", **batch})["logprobs"]
    adv = flat([[a] * T for a in (1.0, -1.0, 0.5, -0.5)])
    s = {"loss_type": "dapo", "epsilon_low": 0.2, "epsilon_high": 0.28, "beta": 0.04, "max_tokens": T}
    g = call({"id": 4, "cmd": "step", "loss": "grpo", **batch, "adv": adv, "old_logp": lp0, "ref_logp": lp0, "settings": s, "micro_batch": 2})
    sf = call({"id": 5, "cmd": "step", "loss": "sft", **batch})
    lp1 = call({"id": 6, "cmd": "logprobs", **batch})["logprobs"]
    bad = {"id": 7, "cmd": "step", "loss": "grpo", "B": B, "T": T, "inputs": [1], "targets": [1], "mask": [1]}
    p.stdin.write(json.dumps(bad) + "\n")
    p.stdin.flush()
    err = json.loads(p.stdout.readline())
    saved = call({"id": 8, "cmd": "save", "path": os.path.join(out_dir, "adapter"), "merged": os.path.join(out_dir, "merged"), "optimizer": True, "state": {"step": 2}})
    call({"id": 9, "cmd": "shutdown"})
    p.wait(timeout=60)
    ok = (gen2["tokens"][0] == gen["tokens"][1] and all(math.isfinite(v) for v in lp0) and lp0 != lp1 and not err["ok"] and err["error"]["code"] == "E_INPUT"
          and "adapter_model.safetensors" in saved["files"] and "adapter_config.json" in saved["files"])
    return {"ok": ok, "grpo_loss": g["loss"], "sft_loss": sf["loss"], "bad_request_error": err.get("error", {}).get("message"),
            "saved": saved, "generate": gen, "exit": p.returncode, "log": [{k: v for k, v in e.items() if k != "result" or e["cmd"] != "logprobs"} for e in log]}


"""The worker's self-tests. self_test drives reprise_worker.py as a subprocess through hello, load (LoRA), generate,
logprobs, grpo and sft steps, a bad request and save (adapter, merged model, optimizer state). rank_test runs it
under `accelerate launch` with a config of several processes and checks that a failure on rank 1 alone is one
error naming rank 1, that the ranks go on after it, and that a killed rank is reported, not waited for forever."""
import json
import math
import os
import select
import signal
import subprocess
import sys
import time

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



def rank_test(worker, config, model_dir):
    env = {**os.environ, "REPRISE_RANK_TIMEOUT": os.environ.get("REPRISE_RANK_TIMEOUT", "30")}
    p = subprocess.Popen([sys.executable, "-m", "accelerate.commands.launch", "--config_file", config, worker],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def call(req, timeout=300):
        p.stdin.write(json.dumps(req) + "\n")
        p.stdin.flush()
        ready, _, _ = select.select([p.stdout], [], [], timeout)
        line = p.stdout.readline() if ready else None
        return json.loads(line) if line else None

    out = {}
    answer = call({"id": 1, "cmd": "hello", "protocol": PROTOCOL_VERSION})
    if not answer or not answer["ok"]:
        p.kill()
        return {"ok": False, "why": "no hello from the ranks (their stderr is above)", "answer": answer, "launcher_exit": p.wait()}
    hello = answer["result"]
    out["world_size"], out["pids"] = hello["world_size"], hello["pids"]
    out["load"] = call({"id": 2, "cmd": "load", "path": model_dir, "dtype": "float32", "seed": 0,
                        "lora": {"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"]}})["ok"]
    T = 6
    good = [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]
    bad = [good[0], [7, 8, 10 ** 6, 10, 11, 12]]  # an id outside the vocabulary, in rank 1's row only
    flat = lambda x: [v for r in x for v in r]  # noqa: E731
    err = call({"id": 3, "cmd": "logprobs", "B": 2, "T": T, "inputs": flat(bad), "targets": flat(good)})
    out["rank1_failure"] = err and err.get("error")
    after = call({"id": 4, "cmd": "logprobs", "B": 2, "T": T, "inputs": flat(good), "targets": flat(good)})
    out["after_failure_ok"] = bool(after and after["ok"] and len(after["result"]["logprobs"]) == 2 * T)
    os.kill(hello["pids"][1], signal.SIGKILL)
    t0 = time.time()
    try:
        dead = call({"id": 5, "cmd": "logprobs", "B": 2, "T": T, "inputs": flat(good), "targets": flat(good)}, timeout=120)
    except (BrokenPipeError, ValueError):
        dead = None
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
    out["after_kill"] = {"answer": dead, "seconds": round(time.time() - t0, 1), "launcher_exit": p.returncode}
    out["ok"] = (out["world_size"] == 2 and out["load"] and bool(out["rank1_failure"]) and out["rank1_failure"]["rank"] == 1
                 and out["after_failure_ok"] and p.returncode not in (None, 0) and time.time() - t0 < 180)
    return out

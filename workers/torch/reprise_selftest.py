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


def _drive(cmd, reqs, env):
    """Runs `cmd` (a worker) through `reqs`; the answers, in order (None after the worker stopped answering)."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    out = []
    for i, req in enumerate(reqs):
        p.stdin.write(json.dumps({"id": i, **req}) + "\n")
        p.stdin.flush()
        line = p.stdout.readline()
        out.append(json.loads(line) if line else None)
        if not line:
            break
    p.stdin.write(json.dumps({"id": -1, "cmd": "shutdown"}) + "\n")
    p.stdin.close()
    p.wait(timeout=120)
    return out


def _rel(a, b):
    return max((abs(x - y) / max(abs(x), abs(y), 1.0) for x, y in zip(a, b)), default=0.0) if len(a) == len(b) else float("inf")


def fsdp_test(worker, config, model_dir, out_dir, tol=1e-5):
    """One process against the processes of an FSDP accelerate config, on the same requests: generated tokens equal,
    log-probabilities, SFT and GRPO losses and gradient norms within tol (relative); each run's checkpoint resumes
    under the other (a one-process worker reads FSDP's adapter, merged model and optimizer state, and the FSDP
    workers read the one-process ones): the same logits and the same next step."""
    env = {**os.environ, "REPRISE_RANK_TIMEOUT": os.environ.get("REPRISE_RANK_TIMEOUT", "60")}
    one, many = [sys.executable, worker], [sys.executable, "-m", "accelerate.commands.launch", "--config_file", config, worker]
    B, T = 5, 10
    rows = [[(11 * b + 5 * t) % 340 + 1 for t in range(T)] for b in range(B)]
    flat = lambda x: [v for r in x for v in r]  # noqa: E731
    batch = {"B": B, "T": T, "inputs": flat(rows), "targets": flat([r[1:] + [0] for r in rows]), "mask": flat([[float(t >= 2) for t in range(T)] for _ in rows])}
    lora = {"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj", "down_proj"]}
    load = {"cmd": "load", "path": model_dir, "dtype": "float32", "seed": 0, "lora": lora, "optimizer": {"lr": 1e-2, "weight_decay": 0.01}}
    sft = {"cmd": "step", "loss": "sft", **batch, "micro_batch": 2, "lr": 1e-2, "grad_clip": 1.0}
    adv = flat([[a] * T for a in (1.0, -1.0, 0.5, -0.5, 0.25)])
    grpo = {"cmd": "step", "loss": "grpo", **batch, "adv": adv, "micro_batch": 2, "lr": 1e-2, "grad_clip": 1.0,
            "settings": {"loss_type": "grpo", "epsilon_low": 0.2, "epsilon_high": 0.28, "beta": 0.0, "max_tokens": T}}
    gen = {"cmd": "generate", "prompts": [rows[0][:4], rows[0][:4], rows[1][:3], rows[2][:6], rows[3][:4]], "seeds": [1, 2, 3, 4, 5],
           "temperature": 1.0, "top_k": 50, "max_tokens": 8, "eos_ids": [352, 220], "micro_batch": 2}
    lp = {"cmd": "logprobs", **batch, "micro_batch": 2}

    def train(out):
        return [{"cmd": "hello"}, load, gen, lp, sft, sft, sft, grpo, lp,
                {"cmd": "save", "path": os.path.join(out, "adapter"), "merged": os.path.join(out, "merged"), "optimizer": True}, sft,
                {**lp, "adapter": False}]

    def resume(src):
        return [{"cmd": "hello"}, {**load, "adapter": os.path.join(src, "adapter"), "optimizer_state": os.path.join(src, "adapter", "optimizer.pt")}, lp, sft]

    a, b = os.path.join(out_dir, "one"), os.path.join(out_dir, "fsdp")
    runs = {"one": _drive(one, train(a), env), "fsdp": _drive(many, train(b), env)}
    runs["one_from_fsdp"] = _drive(one, resume(b), env)
    runs["fsdp_from_one"] = _drive(many, resume(a), env)
    runs["merged_fsdp"] = _drive(one, [{"cmd": "hello"}, {"cmd": "load", "path": os.path.join(b, "merged"), "dtype": "float32"}, lp], env)
    bad = {k: next((x for x in v if not x or not x["ok"]), None) for k, v in runs.items()}
    out = {"ok": False, "fsdp": (runs["fsdp"][0] or {}).get("result", {}).get("fsdp"), "failed": {k: v for k, v in bad.items() if v}}
    if out["failed"]:
        return out
    r = {k: [x["result"] for x in v] for k, v in runs.items()}
    steps = lambda run, idx: [run[i][k] for i in idx for k in ("loss", "grad_norm")]  # noqa: E731
    out["diff"] = {
        "logprobs": _rel(r["one"][3]["logprobs"], r["fsdp"][3]["logprobs"]),
        "steps": _rel(steps(r["one"], (4, 5, 6, 7, 10)), steps(r["fsdp"], (4, 5, 6, 7, 10))),
        "trained_logprobs": _rel(r["one"][8]["logprobs"], r["fsdp"][8]["logprobs"]),
        "reference_logprobs": _rel(r["one"][11]["logprobs"], r["fsdp"][11]["logprobs"]),  # adapters off
        "reload_adapter": _rel(r["fsdp"][8]["logprobs"], r["one_from_fsdp"][2]["logprobs"]),
        "reload_merged": _rel(r["fsdp"][8]["logprobs"], r["merged_fsdp"][2]["logprobs"]),
        "resume_step_one_from_fsdp": _rel(steps(r["fsdp"], (10,)), steps(r["one_from_fsdp"], (3,))),
        "resume_step_fsdp_from_one": _rel(steps(r["one"], (10,)), steps(r["fsdp_from_one"], (3,))),
    }
    out["tokens_equal"] = r["one"][2]["tokens"] == r["fsdp"][2]["tokens"]
    out["world_size"] = r["fsdp"][0]["world_size"]
    out["sft_loss"] = {"one": steps(r["one"], (4, 5, 6)), "fsdp": steps(r["fsdp"], (4, 5, 6))}
    out["ok"] = out["tokens_equal"] and out["fsdp"] is not None and all(v <= tol for v in out["diff"].values())
    return out

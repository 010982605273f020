#!/usr/bin/env python3
"""Reprise's torch worker: holds a Hugging Face model (optionally with a PEFT LoRA adapter) and does the tensor
work for Reprise's training loop over a JSON-lines protocol on stdin/stdout (see PROTOCOL.md beside this file).

Only the standard library, torch, transformers, peft and accelerate. The loss functions below are the torch twin
of src/train/grpo-loss.ts and src/train/losses.ts; tests/fixtures/loss/loss-fixture.json ties the two together.

  python3 reprise_worker.py                      serve the protocol on stdin/stdout
  python3 reprise_worker.py --check              print the dependency report as one JSON line, exit 0/3
  python3 reprise_worker.py --self-test MODEL_DIR OUT_DIR
                                                 run this file as a subprocess and drive it through the protocol
"""
import importlib
import json
import math
import os
import sys
import traceback

PROTOCOL_VERSION = 1
WORKER_VERSION = "0.1.0"
REQUIRED = ("torch", "transformers", "peft", "accelerate")


def dependency_report():
    found, missing = {}, []
    for name in REQUIRED:
        try:
            found[name] = importlib.import_module(name).__version__
        except Exception as e:  # noqa: BLE001 - any import failure means the package is unusable
            missing.append({"package": name, "error": f"{type(e).__name__}: {e}"})
    return {"python": sys.version.split()[0], "versions": found, "missing": missing}


def rank():
    return int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0")))


# ---- losses (torch twin of src/train/grpo-loss.ts and src/train/losses.ts) -------------------------------------

LOSS_TYPES = ("grpo", "bnpo", "dapo", "dr_grpo")


def group_advantages(rewards, group_size, scale):
    """A_i = (r_i - mean(group)) / (std(group) + 1e-4), population std; without the division when scale is False."""
    import torch
    r = torch.as_tensor(rewards, dtype=torch.float64)
    if r.numel() % group_size:
        raise ValueError(f"rewards ({r.numel()}) are not a whole number of groups of {group_size}")
    g = r.view(-1, group_size)
    centred = g - g.mean(dim=1, keepdim=True)
    if scale:
        centred = centred / (g.std(dim=1, correction=0, keepdim=True) + 1e-4)
    return centred.reshape(-1)


def token_weights(mask, loss_type, max_tokens):
    """mask [S, T] (1 on completion tokens) -> weights [S, T] such that loss = sum(w * per_token_loss)."""
    import torch
    if loss_type not in LOSS_TYPES:
        raise ValueError(f"loss_type {loss_type!r} is not one of {', '.join(LOSS_TYPES)}")
    S = mask.shape[0]
    if loss_type == "grpo":
        lens = mask.sum(dim=1, keepdim=True)
        return torch.where(mask > 0, mask / (lens.clamp_min(1) * S), torch.zeros_like(mask))
    if loss_type == "dr_grpo":
        return mask / (S * max_tokens)
    return mask / mask.sum().clamp_min(1)


def token_logprobs(logits, targets):
    """log p(target) per position: logits [N, V], targets int64 [N] -> [N]."""
    import torch
    return torch.log_softmax(logits, dim=-1).gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)


def k3(logp, ref_logp):
    """k3 estimator of KL(pi_theta || pi_ref) per token: exp(ref - logp) - (ref - logp) - 1."""
    import torch
    d = ref_logp - logp
    return torch.exp(d) - d - 1


def clipped_surrogate(logp, old_logp, adv, weights, eps_low, eps_high, beta, ref_logp=None):
    """sum(w * (-min(rho*A, clip(rho, 1-eps_low, 1+eps_high)*A) + beta*k3)); all tensors [N]."""
    import torch
    ratio = torch.exp(logp - old_logp)
    per_token = -torch.minimum(ratio * adv, torch.clamp(ratio, 1 - eps_low, 1 + eps_high) * adv)
    if beta > 0 and ref_logp is not None:
        per_token = per_token + beta * k3(logp, ref_logp)
    return (per_token * weights).sum()


def masked_cross_entropy(logits, targets, mask):
    """Mean negative log-likelihood over positions where mask = 1 (logits [N, V], targets [N], mask [N])."""
    lp = token_logprobs(logits, targets)
    return -(lp * mask).sum() / mask.sum().clamp_min(1)


def grpo_loss_from_logits(logits, targets, mask, adv_tok, old_logp, settings, ref_logp=None, weights=None):
    """The whole GRPO loss from logits [S, T, V]; returns (loss, logp [S*T], weights [S*T])."""
    S, T, V = logits.shape
    temperature = settings.get("temperature", 1.0)
    scaled = logits if temperature == 1 else logits / temperature
    logp = token_logprobs(scaled.reshape(S * T, V), targets.reshape(-1))
    if weights is None:
        weights = token_weights(mask.reshape(S, T), settings["loss_type"], settings.get("max_tokens", T)).reshape(-1)
    loss = clipped_surrogate(logp, old_logp.reshape(-1), adv_tok.reshape(-1), weights, settings["epsilon_low"],
                             settings["epsilon_high"], settings.get("beta", 0.0),
                             None if ref_logp is None else ref_logp.reshape(-1))
    return loss, logp, weights


# ---- the worker ------------------------------------------------------------------------------------------------

class WorkerError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Worker:
    def __init__(self):
        self.model = None
        self.optimizer = None
        self.device = None
        self.lora = None

    def hello(self, req):
        rep = dependency_report()
        want = req.get("protocol")
        if want is not None and want != PROTOCOL_VERSION:
            raise WorkerError("E_PROTOCOL", f"client speaks protocol {want}, this worker speaks {PROTOCOL_VERSION}")
        return {"protocol": PROTOCOL_VERSION, "worker": WORKER_VERSION, **rep}

    def load(self, req):
        import torch
        from transformers import AutoModelForCausalLM
        dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}.get(req.get("dtype", "float32"))
        if dtype is None:
            raise WorkerError("E_INPUT", f"dtype {req.get('dtype')!r} is not float32, bfloat16 or float16")
        path = req.get("path")
        if not path or not os.path.isdir(path):
            raise WorkerError("E_INPUT", f"model path {path!r} is not a directory")
        self.device = torch.device(req.get("device") or ("cuda" if torch.cuda.is_available() else "cpu"))
        if req.get("seed") is not None:
            torch.manual_seed(int(req["seed"]))
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
        self.lora = req.get("lora")
        if self.lora:
            from peft import LoraConfig, get_peft_model
            cfg = LoraConfig(r=self.lora["r"], lora_alpha=self.lora.get("lora_alpha", 16),
                             lora_dropout=self.lora.get("lora_dropout", 0.0),
                             target_modules=self.lora.get("target_modules", "all-linear"),
                             use_rslora=self.lora.get("use_rslora", False), task_type="CAUSAL_LM")
            model = get_peft_model(model, cfg)
        self.model = model.to(self.device)
        opt = req.get("optimizer", {})
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=opt.get("lr", 1e-5), betas=(opt.get("beta1", 0.9), opt.get("beta2", 0.999)),
                                           eps=opt.get("eps", 1e-8), weight_decay=opt.get("weight_decay", 0.0))
        return {"trainable": sum(p.numel() for p in params), "total": sum(p.numel() for p in self.model.parameters()),
                "device": str(self.device), "dtype": str(dtype).replace("torch.", "")}

    def _need_model(self):
        if self.model is None:
            raise WorkerError("E_STATE", "no model loaded: send load first")

    def _batch(self, req):
        import torch
        B, T = int(req["B"]), int(req["T"])
        def t(name, dtype):
            v = req.get(name)
            if v is None:
                return None
            x = torch.tensor(v, dtype=dtype, device=self.device)
            if x.numel() != B * T:
                raise WorkerError("E_INPUT", f"{name} has {x.numel()} values, not B*T = {B * T}")
            return x.view(B, T)
        inputs, targets = t("inputs", torch.long), t("targets", torch.long)
        if inputs is None or targets is None:
            raise WorkerError("E_INPUT", "a batch needs inputs and targets (B*T token ids each)")
        return B, T, inputs, targets, t

    def _logits(self, inputs, temperature):
        logits = self.model(input_ids=inputs).logits.float()
        return logits if temperature == 1 else logits / temperature

    def logprobs(self, req):
        import torch
        self._need_model()
        B, T, inputs, targets, _ = self._batch(req)
        mb = int(req.get("micro_batch", B))
        out = []
        self.model.eval()
        with torch.no_grad():
            for r0 in range(0, B, mb):
                lg = self._logits(inputs[r0:r0 + mb], req.get("temperature", 1.0))
                out.append(token_logprobs(lg.reshape(-1, lg.shape[-1]), targets[r0:r0 + mb].reshape(-1)))
        return {"logprobs": torch.cat(out).tolist()}

    def step(self, req):
        import torch
        self._need_model()
        B, T, inputs, targets, t = self._batch(req)
        kind = req.get("loss", "grpo")
        s = req.get("settings", {})
        mask = t("mask", torch.float32)
        if mask is None:
            raise WorkerError("E_INPUT", "step needs mask")
        if kind == "grpo":
            adv = t("adv", torch.float32)
            if adv is None:
                raise WorkerError("E_INPUT", "a grpo step needs adv (per token)")
            old, ref, w = t("old_logp", torch.float32), t("ref_logp", torch.float32), t("weights", torch.float32)
            lacking = [k for k in ("loss_type", "epsilon_low", "epsilon_high", "beta") if k not in s]
            if lacking:
                raise WorkerError("E_INPUT", f"a grpo step needs settings.{', settings.'.join(lacking)}")
            if s["beta"] > 0 and ref is None:
                raise WorkerError("E_INPUT", "settings.beta > 0 needs ref_logp")
            if w is None:
                w = token_weights(mask, s.get("loss_type", "grpo"), s.get("max_tokens", T))
        elif kind == "sft":
            w = mask / mask.sum().clamp_min(1)
        else:
            raise WorkerError("E_INPUT", f"loss {kind!r} is not grpo or sft")
        mb = int(req.get("micro_batch", B))
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        total = 0.0
        for r0 in range(0, B, mb):
            sl = slice(r0, r0 + mb)
            lg = self._logits(inputs[sl], s.get("temperature", 1.0))
            logp = token_logprobs(lg.reshape(-1, lg.shape[-1]), targets[sl].reshape(-1))
            if kind == "sft":
                loss = -(logp * w[sl].reshape(-1)).sum()
            else:
                o = logp.detach() if old is None else old[sl].reshape(-1)
                loss = clipped_surrogate(logp, o, adv[sl].reshape(-1), w[sl].reshape(-1), s["epsilon_low"],
                                         s["epsilon_high"], s["beta"],
                                         None if ref is None else ref[sl].reshape(-1))
            loss.backward()
            total += loss.item()
        if not math.isfinite(total):
            raise WorkerError("E_NONFINITE", f"loss is {total}; no update applied")
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        gn = torch.nn.utils.clip_grad_norm_(params, req.get("grad_clip", float("inf"))).item()
        if req.get("lr") is not None:
            for g in self.optimizer.param_groups:
                g["lr"] = req["lr"]
        self.optimizer.step()
        return {"loss": total, "grad_norm": gn}

    def save(self, req):
        self._need_model()
        path = req.get("path")
        if not path:
            raise WorkerError("E_INPUT", "save needs path")
        if os.path.exists(path):
            raise WorkerError("E_INPUT", f"save path {path} exists; choose a new directory")
        tmp = path.rstrip("/") + ".tmp-" + str(os.getpid())
        self.model.save_pretrained(tmp)
        os.replace(tmp, path)
        return {"path": path, "files": sorted(os.listdir(path)), "layout": "peft" if self.lora else "hf"}


def serve(stdin=sys.stdin, stdout=sys.stdout):
    worker = Worker()
    commands = {"hello": worker.hello, "load": worker.load, "logprobs": worker.logprobs, "step": worker.step, "save": worker.save}
    for line in stdin:
        if not line.strip():
            continue
        rid = None
        try:
            req = json.loads(line)
            rid = req.get("id")
            cmd = req.get("cmd")
            if cmd == "shutdown":
                stdout.write(json.dumps({"id": rid, "ok": True, "result": {}}) + "\n")
                stdout.flush()
                return 0
            if cmd not in commands:
                raise WorkerError("E_INPUT", f"unknown cmd {cmd!r}; one of {', '.join([*commands, 'shutdown'])}")
            res = {"id": rid, "ok": True, "result": commands[cmd](req)}
        except Exception as e:  # noqa: BLE001 - every failure goes back to the client as a JSON error
            code = getattr(e, "code", None) or ("E_OOM" if "out of memory" in str(e).lower() else "E_WORKER")
            if isinstance(e, (json.JSONDecodeError, KeyError, ValueError)) and code == "E_WORKER":
                code = "E_INPUT"
            res = {"id": rid, "ok": False, "error": {"code": code, "rank": rank(), "message": f"{type(e).__name__}: {e}",
                                                     "trace": traceback.format_exc(limit=4)}}
        stdout.write(json.dumps(res) + "\n")
        stdout.flush()
    return 0


def self_test(model_dir, out_dir):
    """Drive this file as a subprocess through hello, load (LoRA), logprobs, two steps (grpo, sft), save."""
    import subprocess
    p = subprocess.Popen([sys.executable, os.path.abspath(__file__)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
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
    saved = call({"id": 8, "cmd": "save", "path": os.path.join(out_dir, "adapter")})
    call({"id": 9, "cmd": "shutdown"})
    p.wait(timeout=60)
    ok = (all(math.isfinite(v) for v in lp0) and lp0 != lp1 and not err["ok"] and err["error"]["code"] == "E_INPUT"
          and "adapter_model.safetensors" in saved["files"] and "adapter_config.json" in saved["files"])
    return {"ok": ok, "grpo_loss": g["loss"], "sft_loss": sf["loss"], "bad_request_error": err.get("error", {}).get("message"),
            "saved": saved, "exit": p.returncode, "log": [{k: v for k, v in e.items() if k != "result" or e["cmd"] != "logprobs"} for e in log]}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        rep = dependency_report()
        print(json.dumps(rep))
        sys.exit(3 if rep["missing"] else 0)
    if len(sys.argv) > 1 and sys.argv[1] == "--self-test":
        print(json.dumps(self_test(sys.argv[2], sys.argv[3])))
        sys.exit(0)
    rep = dependency_report()
    if rep["missing"]:
        sys.stdout.write(json.dumps({"id": None, "ok": False, "error": {"code": "E_DEPS", "rank": rank(),
                                     "message": "missing: " + "; ".join(f"{m['package']} ({m['error']})" for m in rep["missing"])}}) + "\n")
        sys.exit(3)
    sys.exit(serve())

#!/usr/bin/env python3
"""Reprise's torch worker: holds a Hugging Face model (optionally with a PEFT LoRA adapter) and does the tensor
work for Reprise's training loop over a JSON-lines protocol on stdin/stdout (see PROTOCOL.md beside this file).
Under `accelerate launch` rank 0 speaks the protocol and every rank works on its slice of each batch
(reprise_comm.py); gradients are summed over ranks, so a step is the same step whatever the number of processes.
With an FSDP config the model is sharded over the ranks (reprise_fsdp.py) and every rank runs the same number of
forwards and backwards; the model files are reprise_model.py's.

Only the standard library, torch, transformers, peft and accelerate (the launcher).

  python3 reprise_worker.py                      serve the protocol on stdin/stdout
  python3 reprise_worker.py --check              print the dependency report as one JSON line, exit 0/3
  python3 reprise_worker.py --self-test MODEL_DIR OUT_DIR   (reprise_selftest.py; also --self-test-ranks, --self-test-fsdp)
"""
import importlib
import json
import math
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reprise_fsdp  # noqa: E402
import reprise_model  # noqa: E402
from reprise_comm import Comm, rank, worker_device  # noqa: E402
from reprise_losses import (LOSS_TYPES, clipped_surrogate, group_advantages, grpo_loss_from_logits, k3,  # noqa: E402,F401
                            masked_cross_entropy, token_logprobs, token_weights)

PROTOCOL_VERSION = 2
WORKER_VERSION = "0.3.0"
REQUIRED = ("torch", "transformers", "peft", "accelerate")


def dependency_report():
    found, missing = {}, []
    for name in REQUIRED:
        try:
            found[name] = importlib.import_module(name).__version__
        except Exception as e:  # noqa: BLE001 - any import failure means the package is unusable
            missing.append({"package": name, "error": f"{type(e).__name__}: {e}"})
    return {"python": sys.version.split()[0], "versions": found, "missing": missing}


class WorkerError(Exception):
    def __init__(self, code, message, rank_=None, trace=None):
        super().__init__(message)
        self.code, self.rank, self.trace = code, rank_, trace


def encode_error(e):
    """An exception as the protocol's error object (the rank is the one it happened on)."""
    if isinstance(e, WorkerError) and e.rank is not None:
        return {"code": e.code, "rank": e.rank, "message": str(e), "trace": e.trace or ""}
    text = f"{type(e).__name__}: {e}"
    code = getattr(e, "code", None) if isinstance(e, WorkerError) else None
    if code is None:
        code = "E_OOM" if "out of memory" in text.lower() else "E_INPUT" if isinstance(e, (json.JSONDecodeError, KeyError, ValueError)) else "E_WORKER"
    if code == "E_OOM":
        try:
            import torch
            torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001 - best effort
            pass
    return {"code": code, "rank": rank(), "message": text if not isinstance(e, WorkerError) else str(e), "trace": traceback.format_exc(limit=4)}


class Worker:
    def __init__(self, comm, device, fsdp, setup_error=None):
        import torch
        self.comm, self.device, self.fsdp, self.setup_error = comm, device, fsdp, setup_error
        self.model = self.optimizer = self.lora = self.load_req = None
        mp = os.environ.get("ACCELERATE_MIXED_PRECISION", "no").lower()
        if mp not in ("no", "bf16", "fp16"):
            raise WorkerError("E_INPUT", f"mixed_precision {mp!r} is not no, bf16 or fp16")
        self.mixed_precision = mp
        self.autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(mp)

    def guard(self, fn):
        """Runs this rank's part of a command; if any rank failed, every rank raises the first failure."""
        out, err = None, None
        try:
            out = fn()
        except Exception as e:  # noqa: BLE001 - gathered, then raised on every rank
            err = encode_error(e)
        errs = [x for x in self.comm.all_gather(err) if x is not None]
        if errs:
            raise WorkerError(errs[0]["code"], errs[0]["message"], errs[0]["rank"], errs[0]["trace"])
        return out

    # ---- commands ----

    def hello(self, req):
        if self.setup_error:
            raise WorkerError("E_INPUT", self.setup_error)
        rep = dependency_report()
        want = req.get("protocol")
        if want is not None and want != PROTOCOL_VERSION:
            raise WorkerError("E_PROTOCOL", f"client speaks protocol {want}, this worker speaks {PROTOCOL_VERSION}")
        return {"protocol": PROTOCOL_VERSION, "worker": WORKER_VERSION, **rep, "world_size": self.comm.world,
                "device": str(self.device), "dist_backend": self.comm.backend, "mixed_precision": self.mixed_precision,
                "fsdp": self.fsdp, "pids": self.comm.all_gather(os.getpid())}

    def load(self, req):
        if self.setup_error:
            raise WorkerError("E_INPUT", self.setup_error)
        self.guard(lambda: self._build(req))
        if self.fsdp:
            self.guard(lambda: reprise_fsdp.shard(self.model, self.fsdp, self.device, self.mixed_precision))
        elif self.comm.world > 1:  # identical start on every rank, whatever each one's random init did
            for p in self.model.parameters():
                if p.requires_grad:
                    self.comm.broadcast_tensor(p.data)
        state = self.guard(lambda: self._optimizer(req))
        if state is not None and self.fsdp:
            reprise_fsdp.load_optimizer_state(self.model, self.optimizer, state)
        params = [p for p in self.model.parameters() if p.requires_grad]
        return {"trainable": sum(p.numel() for p in params), "total": sum(p.numel() for p in self.model.parameters()),
                "device": str(self.device), "dtype": str(next(self.model.parameters()).dtype).replace("torch.", ""),
                "world_size": self.comm.world}

    def _build(self, req):
        self.model = self.optimizer = None
        model, self.lora = reprise_model.build(req)
        self.load_req = req
        self.model = model if self.fsdp else model.to(self.device)  # fully_shard moves each rank's shards

    def _optimizer(self, req):
        """AdamW over the (sharded) trainable parameters; the saved state to load, under FSDP (a collective)."""
        import torch
        opt = req.get("optimizer", {})
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=opt.get("lr", 1e-5), betas=(opt.get("beta1", 0.9), opt.get("beta2", 0.999)),
                                           eps=opt.get("eps", 1e-8), weight_decay=opt.get("weight_decay", 0.0))
        if not req.get("optimizer_state"):
            return None
        state = torch.load(req["optimizer_state"], map_location="cpu" if self.fsdp else self.device)
        if self.fsdp:
            return state
        self.optimizer.load_state_dict(state)
        return None

    def _need_model(self):
        if self.model is None:
            raise WorkerError("E_STATE", "no model loaded: send load first")

    def _batch(self, req, names):
        """The whole batch's [B, T] tensors named in `names` (token ids as int64, the rest float32)."""
        import torch
        B, T = int(req["B"]), int(req["T"])
        out = {}
        for name in names:
            v = req.get(name)
            if v is None:
                out[name] = None
                continue
            x = torch.tensor(v, dtype=torch.long if name in ("inputs", "targets") else torch.float32, device=self.device)
            if x.numel() != B * T:
                raise WorkerError("E_INPUT", f"{name} has {x.numel()} values, not B*T = {B * T}")
            out[name] = x.view(B, T)
        if out.get("inputs") is None or out.get("targets") is None:
            raise WorkerError("E_INPUT", "a batch needs inputs and targets (B*T token ids each)")
        if self.fsdp:
            vocab = self.model.get_input_embeddings().num_embeddings
            reprise_fsdp.check_ids(out["inputs"], vocab, "inputs")
            reprise_fsdp.check_ids(out["targets"], vocab, "targets")
        return B, T, out

    def _micro(self, B, rows, mb):
        """This rank's micro-batches (r0, r1) in its rows; under FSDP padded with None (a dummy) to the count of the rank with the most."""
        n = rows.stop - rows.start
        if not self.fsdp:
            return [(r0, min(n, r0 + mb)) for r0 in range(0, n, mb)]
        return reprise_fsdp.micro_batches(n, B, self.comm.world, mb)

    def _autocast(self):
        import contextlib
        import torch
        return torch.autocast(self.device.type, dtype=self.autocast_dtype) if self.autocast_dtype else contextlib.nullcontext()

    def _adapter(self, on):
        import contextlib
        return contextlib.nullcontext() if on or not self.lora else self.model.disable_adapter()

    def _logits(self, inputs, temperature):
        with self._autocast():
            logits = self.model(input_ids=inputs).logits.float()
        return logits if temperature == 1 else logits / temperature

    def logprobs(self, req):
        def local():
            import torch
            self._need_model()
            B, T, b = self._batch(req, ("inputs", "targets"))
            rows = self.comm.rows(B)
            inputs, targets = b["inputs"][rows], b["targets"][rows]
            mb = max(1, int(req.get("micro_batch", B)))
            out = []
            self.model.eval()
            with torch.no_grad(), self._adapter(req.get("adapter", True)):
                for r in self._micro(B, rows, mb):
                    if r is None:
                        self._logits(b["inputs"][:1], 1.0)
                        continue
                    lg = self._logits(inputs[r[0]:r[1]], req.get("temperature", 1.0))
                    out.append(token_logprobs(lg.reshape(-1, lg.shape[-1]), targets[r[0]:r[1]].reshape(-1)))
            return torch.cat(out).tolist() if out else []
        part = self.guard(local)
        return {"logprobs": [v for p in self.comm.all_gather(part) for v in p]}

    def step(self, req):
        import torch
        state = {}
        self.guard(lambda: self._local_step(req, state))
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        if self.fsdp:  # the reduce-scatter in each backward summed the gradients
            flat = self.comm.all_reduce_sum(state["stats"])
        else:
            grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
            flat = torch.cat([g.reshape(-1).float() for g in grads] + [state["stats"]])
            self.comm.all_reduce_sum(flat)
            off = 0
            for p, g in zip(params, grads):
                p.grad = flat[off:off + g.numel()].view_as(p).to(p.dtype)
                off += g.numel()
        loss, clipped, n_tok, kl_sum, ent_sum = flat[-5:].tolist()
        if not math.isfinite(loss):
            self.optimizer.zero_grad(set_to_none=True)
            raise WorkerError("E_NONFINITE", f"loss is {loss}; no update applied", 0)
        max_norm = req.get("grad_clip") or float("inf")
        gn = reprise_fsdp.clip(params, max_norm) if self.fsdp else torch.nn.utils.clip_grad_norm_(params, max_norm).item()
        if not math.isfinite(gn):
            self.optimizer.zero_grad(set_to_none=True)
            raise WorkerError("E_NONFINITE", f"gradient norm is {gn}; no update applied", 0)
        if req.get("lr") is not None:
            for g in self.optimizer.param_groups:
                g["lr"] = req["lr"]
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        n = max(n_tok, 1.0)
        peak = torch.cuda.max_memory_allocated(self.device) if self.device.type == "cuda" else 0
        return {"loss": loss, "grad_norm": gn, "clip_frac": clipped / n, "kl": kl_sum / n, "entropy": ent_sum / n, "peak_mem_bytes": peak}

    def _local_step(self, req, state):
        import torch
        self._need_model()
        B, T, b = self._batch(req, ("inputs", "targets", "mask", "adv", "old_logp", "ref_logp", "weights"))
        kind, s, mask = req.get("loss", "grpo"), req.get("settings", {}), b["mask"]
        if mask is None:
            raise WorkerError("E_INPUT", "step needs mask")
        w = b["weights"]
        if kind == "grpo":
            if b["adv"] is None:
                raise WorkerError("E_INPUT", "a grpo step needs adv (per token)")
            lacking = [k for k in ("loss_type", "epsilon_low", "epsilon_high", "beta") if k not in s]
            if lacking:
                raise WorkerError("E_INPUT", f"a grpo step needs settings.{', settings.'.join(lacking)}")
            if s["beta"] > 0 and b["ref_logp"] is None:
                raise WorkerError("E_INPUT", "settings.beta > 0 needs ref_logp")
            if w is None:
                w = token_weights(mask, s["loss_type"], s.get("max_tokens", T))
        elif kind == "sft":
            w = mask / mask.sum().clamp_min(1)
        else:
            raise WorkerError("E_INPUT", f"loss {kind!r} is not grpo or sft")
        rows = self.comm.rows(B)
        mb = max(1, int(req.get("micro_batch", B)))
        temperature = s.get("temperature", 1.0) if kind == "grpo" else 1.0
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        stats = torch.zeros(5, dtype=torch.float32, device=self.device)  # loss, clipped, tokens, kl, entropy
        sl = lambda name, a, z: None if b[name] is None else b[name][rows][a:z].reshape(-1)  # noqa: E731
        for r in self._micro(B, rows, mb):
            if r is None:  # a dummy under FSDP: its backward's reduce-scatter adds zero
                (self._logits(b["inputs"][:1], 1.0).sum() * 0).backward()
                continue
            r0, r1 = r
            lg = self._logits(b["inputs"][rows][r0:r1], temperature)
            flat_lg = lg.reshape(-1, lg.shape[-1])
            logp = token_logprobs(flat_lg, b["targets"][rows][r0:r1].reshape(-1))
            wm, m = w[rows][r0:r1].reshape(-1), mask[rows][r0:r1].reshape(-1)
            if kind == "sft":
                loss = -(logp * wm).sum()
            else:
                old, ref, adv = sl("old_logp", r0, r1), sl("ref_logp", r0, r1), sl("adv", r0, r1)
                old = logp.detach() if old is None else old
                loss = clipped_surrogate(logp, old, adv, wm, s["epsilon_low"], s["epsilon_high"], s["beta"], ref)
                with torch.no_grad():
                    ratio = torch.exp(logp - old)
                    hit = ((ratio < 1 - s["epsilon_low"]) & (adv < 0)) | ((ratio > 1 + s["epsilon_high"]) & (adv > 0))
                    stats[1] += (hit.float() * m).sum()
                    if ref is not None:
                        stats[3] += (k3(logp, ref) * m).sum()
                    lsm = torch.log_softmax(flat_lg, dim=-1)
                    stats[4] += (-(lsm.exp() * lsm).sum(-1) * m).sum()
            loss.backward()
            stats[0] += loss.detach()
            stats[2] += m.sum()
        state["stats"] = stats

    def generate(self, req):
        from reprise_generate import check_prompts, sample_rows

        def local():
            self._need_model()
            prompts, seeds = req.get("prompts"), req.get("seeds")
            if not isinstance(prompts, list) or not prompts or not all(isinstance(p, list) and p for p in prompts):
                raise WorkerError("E_INPUT", "generate needs prompts: a non-empty list of non-empty token id lists")
            if not isinstance(seeds, list) or len(seeds) != len(prompts):
                raise WorkerError("E_INPUT", f"generate needs one seed per prompt ({len(prompts)}), got {seeds if not isinstance(seeds, list) else len(seeds)}")
            if self.fsdp:  # the whole request, on every rank, before the first collective
                check_prompts(self.model, prompts, req)
            rows = self.comm.rows(len(prompts))
            self.model.eval()
            with self._adapter(req.get("adapter", True)), self._autocast():
                return sample_rows(self.model, prompts[rows], seeds[rows], req, self.device, self.comm if self.fsdp else None)
        part = self.guard(local)
        parts = self.comm.all_gather(part)
        return {"tokens": [t for p in parts for t in p["tokens"]], "finished": [f for p in parts for f in p["finished"]]}

    def save(self, req):
        def check():
            self._need_model()
            if self.comm.rank == 0:
                reprise_model.check_new(req.get("path"), req.get("merged"))
        self.guard(check)
        if not self.fsdp:
            out = self.guard(lambda: reprise_model.write(self.model, self.lora, req, self.optimizer.state_dict()) if self.comm.rank == 0 else None)
            return self.comm.all_gather(out)[0]
        state = reprise_fsdp.full_model_state(self.model)  # collectives: every rank
        opt = reprise_fsdp.full_optimizer_state(self.model, self.optimizer) if req.get("optimizer") else None
        out = self.guard(lambda: reprise_model.write(reprise_model.replica(self.load_req, state), self.lora, req, opt) if self.comm.rank == 0 else None)
        return self.comm.all_gather(out)[0]


def serve(stdin, proto):
    """Rank 0 reads requests and answers on `proto`; other ranks follow the broadcast requests."""
    device = worker_device()
    fsdp, setup_error = None, None
    try:
        fsdp = reprise_fsdp.settings()
    except ValueError as e:  # answered to hello and load
        setup_error = str(e)
    comm = Comm(device, process_group=fsdp is not None)
    worker = Worker(comm, device, fsdp, setup_error)
    commands = {"hello": worker.hello, "load": worker.load, "logprobs": worker.logprobs, "step": worker.step,
                "generate": worker.generate, "save": worker.save}
    while True:
        req = None
        if comm.rank == 0:
            line = stdin.readline()
            if not line:
                req = {"cmd": "shutdown", "id": None, "eof": True}
            elif not line.strip():
                continue
            else:
                try:
                    req = json.loads(line)
                    if not isinstance(req, dict):
                        raise ValueError("a request is a JSON object")
                except Exception as e:  # noqa: BLE001 - a bad line is answered, not broadcast
                    proto.write(json.dumps({"id": None, "ok": False, "error": encode_error(e)}) + "\n")
                    proto.flush()
                    continue
        req = comm.broadcast(req)
        rid, cmd = req.get("id"), req.get("cmd")
        if cmd == "shutdown":
            if comm.rank == 0 and not req.get("eof"):
                proto.write(json.dumps({"id": rid, "ok": True, "result": {}}) + "\n")
                proto.flush()
            comm.close()
            return 0
        try:
            if cmd not in commands:
                raise WorkerError("E_INPUT", f"unknown cmd {cmd!r}; one of {', '.join([*commands, 'shutdown'])}")
            res = {"id": rid, "ok": True, "result": commands[cmd](req)}
        except Exception as e:  # noqa: BLE001 - every failure goes back to the client as a JSON error
            res = {"id": rid, "ok": False, "error": encode_error(e)}
        if comm.rank == 0:
            proto.write(json.dumps(res) + "\n")
            proto.flush()


def main(argv):
    if len(argv) > 1 and argv[1] == "--check":
        rep = dependency_report()
        print(json.dumps(rep))
        return 3 if rep["missing"] else 0
    if len(argv) > 1 and argv[1] in ("--self-test", "--self-test-ranks", "--self-test-fsdp"):
        import reprise_selftest
        fn = {"--self-test": reprise_selftest.self_test, "--self-test-ranks": reprise_selftest.rank_test, "--self-test-fsdp": reprise_selftest.fsdp_test}[argv[1]]
        out = fn(os.path.abspath(__file__), *argv[2:])
        print(json.dumps(out))
        return 0 if out["ok"] else 1
    # the protocol owns stdout: anything the libraries print goes to stderr (and every rank but 0 writes nothing)
    proto = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    if rank() != 0:
        proto = open(os.devnull, "w")
    rep = dependency_report()
    if rep["missing"]:
        proto.write(json.dumps({"id": None, "ok": False, "error": {"code": "E_DEPS", "rank": rank(), "trace": "",
                               "message": "missing: " + "; ".join(f"{m['package']} ({m['error']})" for m in rep["missing"])}}) + "\n")
        proto.flush()
        return 3
    return serve(sys.stdin, proto)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

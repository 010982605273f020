"""The PyTorch CPU reference for bench/cpu-bench.ts: the same GPT as src/model/gpt.ts (pre-LN, learned positions,
tied embeddings, x*sigmoid(1.702x)), with parameters of the same names and layouts (x @ W + b) loaded from the
bench's raw float32 file, so both sides start from the same weights. A worker: one JSON request per stdin line,
one JSON answer per stdout line, so the bench can interleave rounds of both.
Requests: {"op": "load", "cfg": {...}, "weights": path, "index": [[name, shape], ...]} ->
{"op": "train", "B": .., "T": .., "steps": n, "ids": [...], "targets": [...]} -> ms per step, first loss;
{"op": "sample", "B": .., "prompt": n, "new": n} -> ms per token step (KV cache, greedy over the full batch)."""
import json, math, sys, time

import numpy as np
import torch
import torch.nn.functional as F

P = {}
CFG = {}


def load(req):
    global P, CFG
    CFG = req["cfg"]
    raw = np.fromfile(req["weights"], dtype=np.float32)
    P, off = {}, 0
    for name, shape in req["index"]:
        n = int(np.prod(shape))
        P[name] = torch.from_numpy(raw[off : off + n].copy()).reshape(shape).requires_grad_(True)
        off += n
    return {"params": off}


def ln(x, g, b):
    return F.layer_norm(x, (x.shape[-1],), g, b, 1e-5)


def block(x, l, cache=None):
    B, T, d = x.shape
    H = CFG["n_head"]
    p = lambda k: P[f"h{l}.{k}"]
    qkv = torch.addmm(p("attn_b"), ln(x, p("ln1_g"), p("ln1_b")).reshape(B * T, d), p("attn_w"))
    q, k, v = qkv.view(B, T, 3, H, d // H).permute(2, 0, 3, 1, 4)
    if cache is not None:
        if l in cache:
            k = torch.cat([cache[l][0], k], 2)
            v = torch.cat([cache[l][1], v], 2)
        cache[l] = (k, v)
    Tk = k.shape[2]
    att = (q @ k.transpose(-1, -2)) / math.sqrt(d // H)
    if T > 1:
        att = att.masked_fill(torch.ones(T, Tk, dtype=torch.bool).triu(Tk - T + 1), float("-inf"))
    y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B * T, d)
    x = x + torch.addmm(p("proj_b"), y, p("proj_w")).view(B, T, d)
    f = torch.addmm(p("fc_b"), ln(x, p("ln2_g"), p("ln2_b")).reshape(B * T, d), p("fc_w"))
    return x + torch.addmm(p("fc2_b"), f * torch.sigmoid(1.702 * f), p("fc2_w")).view(B, T, d)


def forward(ids, pos0=0, cache=None):
    B, T = ids.shape
    x = P["wte"][ids] + P["wpe"][pos0 : pos0 + T]
    for l in range(CFG["n_layer"]):
        x = block(x, l, cache)
    return ln(x, P["lnf_g"], P["lnf_b"]).reshape(B * T, -1) @ P["wte"].t()


def train(req):
    B, T = req["B"], req["T"]
    ids = torch.tensor(req["ids"], dtype=torch.long).view(B, T)
    targets = torch.tensor(req["targets"], dtype=torch.long)
    opt = torch.optim.AdamW(list(P.values()), lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    saved = {k: v.detach().clone() for k, v in P.items()}
    losses = []

    def step():
        loss = F.cross_entropy(forward(ids), targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(P.values()), 1.0)
        opt.step()
        losses.append(loss.item())

    for _ in range(req.get("warmup", 2)):
        step()
    t0 = time.perf_counter()
    for _ in range(req["steps"]):
        step()
    ms = (time.perf_counter() - t0) / req["steps"] * 1000
    with torch.no_grad():
        for k, v in P.items():
            v.copy_(saved[k])
    return {"ms_per_step": ms, "first_loss": losses[0]}


@torch.no_grad()
def sample(req):
    B, Tp, new = req["B"], req["prompt"], req["new"]
    ids = torch.zeros(B, Tp, dtype=torch.long)
    cache = {}
    t0 = time.perf_counter()
    logits = forward(ids, 0, cache)
    for t in range(new):
        nxt = logits.view(B, -1, logits.shape[-1])[:, -1].argmax(-1, keepdim=True)
        logits = forward(nxt, Tp + t, cache)
    return {"ms": (time.perf_counter() - t0) * 1000}


if __name__ == "__main__":
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "parallel": torch.__config__.parallel_info().splitlines()[-1].strip()}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        out = {"load": load, "train": train, "sample": sample}[req["op"]](req)
        print(json.dumps(out), flush=True)

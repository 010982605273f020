"""The PyTorch reference for bench/gpu.ts: the same GPT (pre-LN, learned positions, tied embeddings,
x*sigmoid(1.702x)) and the same step (AdamW, global-norm clip 1.0, loss read back every step), eager fp32 with
TF32 off and bf16 autocast. Prints one JSON object: {"torch": ..., "device": ..., "results": [...]}."""
import json, math, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        B, T, d = x.shape
        q, k, v = self.attn(self.ln1(x)).view(B, T, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.h)
        att = att.masked_fill(torch.ones(T, T, device=x.device, dtype=torch.bool).triu(1), float("-inf"))
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, d)
        x = x + self.proj(y)
        f = self.fc(self.ln2(x))
        return x + self.fc2(f * torch.sigmoid(1.702 * f))


class GPT(nn.Module):
    def __init__(self, L, d, h, T, V):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, d), nn.Embedding(T, d)
        self.blocks = nn.ModuleList(Block(d, h) for _ in range(L))
        self.lnf = nn.LayerNorm(d)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1], device=ids.device))
        for b in self.blocks:
            x = b(x)
        return self.lnf(x) @ self.wte.weight.t()


def measure(c, mode, steps, warmup=3):
    torch.manual_seed(0)
    dev = "cuda"
    m = GPT(c["L"], c["d"], c["H"], c["T"], c["V"]).to(dev)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=0.1)
    ids = torch.randint(0, c["V"], (c["B"], c["T"] + 1), device=dev)
    x, y = ids[:, :-1], ids[:, 1:]

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=mode == "bf16"):
            loss = F.cross_entropy(m(x).float().reshape(-1, c["V"]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        return loss.item()

    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / steps * 1000


if __name__ == "__main__":
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    configs = json.loads(sys.argv[1])
    out = []
    for c in configs:
        for mode in ("fp32", "bf16"):
            out.append({"name": c["name"], "mode": mode, "ms_per_step": measure(c, mode, c.get("torch_steps", 30))})
    print(json.dumps({"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "results": out}))

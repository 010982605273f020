#!/usr/bin/env python3
"""Writes the shared loss fixture (tests/fixtures/loss/loss-fixture.json): inputs for every loss setting and what
the torch worker's loss functions make of them, computed in float64 on the CPU (the reference). It then recomputes
every case in float32 on the GPU (or CPU) with the same functions and records the worst relative error, so the
run shows the worker within tolerance; tests/train/loss-fixture.test.ts does the same for tfjs.

Gradients are taken with respect to the logits [S, T, V], the input of the loss in both implementations: the model
below the logits is a separate code path (checked by reports/parity/*-logits.json), and by the chain rule equal
logit gradients give equal parameter gradients for any model, so this isolates the loss exactly.

  python3 make_loss_fixture.py OUT.json [REPORT.json]
"""
import datetime
import json
import os
import platform
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reprise_worker as w  # noqa: E402

TOL = 1e-5
S, T, V = 6, 7, 11
GROUP = 3

# name, loss, settings (loss_type, scale_rewards, epsilon_low, epsilon_high, beta, temperature, max_tokens)
CASES = [
    ("grpo", "grpo", dict(loss_type="grpo", scale_rewards=True, epsilon_low=0.2, epsilon_high=0.2, beta=0.0)),
    ("grpo-beta", "grpo", dict(loss_type="grpo", scale_rewards=True, epsilon_low=0.2, epsilon_high=0.2, beta=0.04)),
    ("grpo-unscaled-temp", "grpo", dict(loss_type="grpo", scale_rewards=False, epsilon_low=0.2, epsilon_high=0.2, beta=0.1, temperature=0.7)),
    ("dr_grpo", "grpo", dict(loss_type="dr_grpo", scale_rewards=False, epsilon_low=0.2, epsilon_high=0.2, beta=0.0, max_tokens=10)),
    ("dr_grpo-beta", "grpo", dict(loss_type="dr_grpo", scale_rewards=False, epsilon_low=0.2, epsilon_high=0.2, beta=0.05, max_tokens=7)),
    ("dapo", "grpo", dict(loss_type="dapo", scale_rewards=True, epsilon_low=0.2, epsilon_high=0.28, beta=0.0)),
    ("dapo-beta-temp", "grpo", dict(loss_type="dapo", scale_rewards=True, epsilon_low=0.2, epsilon_high=0.28, beta=0.04, temperature=0.9)),
    ("bnpo", "grpo", dict(loss_type="bnpo", scale_rewards=True, epsilon_low=0.2, epsilon_high=0.2, beta=0.0)),
    ("bnpo-unscaled-beta", "grpo", dict(loss_type="bnpo", scale_rewards=False, epsilon_low=0.1, epsilon_high=0.3, beta=0.2)),
    ("sft", "sft", dict()),
    ("sft-b", "sft", dict()),
]


def make_inputs(seed, loss):
    g = torch.Generator().manual_seed(seed)
    logits = (torch.randn(S, T, V, generator=g) * 2).float()
    targets = torch.randint(0, V, (S, T), generator=g)
    mask = torch.zeros(S, T)
    for s in range(S):  # a prompt of 1..3 positions, then 1..(T - prompt) completion tokens
        p = int(torch.randint(1, 4, (1,), generator=g))
        n = int(torch.randint(1, T - p + 1, (1,), generator=g))
        mask[s, p:p + n] = 1
    lp = torch.log_softmax(logits.double(), -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    old = (lp + torch.randn(S, T, generator=g, dtype=torch.float64) * 0.3).float()
    ref = (lp + torch.randn(S, T, generator=g, dtype=torch.float64) * 0.2).float()
    rewards = torch.randint(0, 3, (S,), generator=g).float() * 0.5
    if seed % 2 == 0:
        rewards[:GROUP] = 1.0  # a group whose rewards are all equal: zero advantage
    return dict(logits=logits, targets=targets, mask=mask, old_logp=old, ref_logp=ref, rewards=rewards)


def compute(x, loss, st, dtype, device):
    logits = x["logits"].to(device=device, dtype=dtype).clone().requires_grad_(True)
    targets, mask = x["targets"].to(device), x["mask"].to(device=device, dtype=dtype)
    out = {}
    if loss == "sft":
        val = w.masked_cross_entropy(logits.reshape(S * T, V), targets.reshape(-1), mask.reshape(-1))
    else:
        adv = w.group_advantages(x["rewards"], GROUP, st["scale_rewards"]).to(device=device, dtype=dtype)
        adv_tok = adv.unsqueeze(1).expand(S, T)
        st = {**st, "max_tokens": st.get("max_tokens", T)}
        val, logp, weights = w.grpo_loss_from_logits(logits, targets, mask, adv_tok, x["old_logp"].to(device=device, dtype=dtype),
                                                     st, ref_logp=x["ref_logp"].to(device=device, dtype=dtype))
        out.update(advantages=adv, weights=weights, logp=logp)
    val.backward()
    out.update(loss=val.detach().reshape(1), grad_logits=logits.grad.reshape(-1))
    return {k: v.detach().double().cpu().reshape(-1) for k, v in out.items()}


def rel_err(a, b):
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))


def main(out_path, report_path=None):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    cases, worst = [], {}
    for i, (name, loss, st) in enumerate(CASES):
        x = make_inputs(1000 + i, loss)
        ref = compute(x, loss, st, torch.float64, "cpu")
        f32 = compute(x, loss, st, torch.float32, device)
        errs = {k: rel_err(f32[k], ref[k]) for k in ref}
        worst[name] = max(errs.values())
        inputs = {"logits": x["logits"].reshape(-1).tolist(), "targets": x["targets"].reshape(-1).tolist(),
                  "mask": x["mask"].reshape(-1).tolist()}
        if loss == "grpo":
            inputs.update(old_logp=x["old_logp"].reshape(-1).tolist(), ref_logp=x["ref_logp"].reshape(-1).tolist(),
                          rewards=x["rewards"].tolist())
        expected = {k: (v.item() if k == "loss" else v.tolist()) for k, v in ref.items()}
        settings = {**st, "group_size": GROUP, "temperature": st.get("temperature", 1.0), "max_tokens": st.get("max_tokens", T)} if loss == "grpo" else {}
        cases.append({"name": name, "loss": loss, "S": S, "T": T, "V": V, "settings": settings, "inputs": inputs,
                      "expected": expected, "torch_float32_rel_err": errs})
    versions = w.dependency_report()
    fixture = {"version": 1, "generator": "workers/torch/make_loss_fixture.py", "reference": "torch float64 on CPU",
               "tolerance": TOL, "error_metric": "max |a - b| / max |b| over each array (loss: one value)",
               "gradients": "d loss / d logits, flattened [S, T, V]", "torch": torch.__version__, "cases": cases}
    tmp = out_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(fixture, f)
    os.replace(tmp, out_path)
    report = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "what": "shared loss fixture: torch float32 vs torch float64 reference",
              "device": torch.cuda.get_device_name(0) if device == "cuda" else platform.processor(), "torch_device": device,
              **versions, "tolerance": TOL, "max_rel_err_by_case": worst, "max_rel_err": max(worst.values()),
              "ok": max(worst.values()) <= TOL}
    if report_path:
        with open(report_path, "w") as f:
            json.dump(report, f, indent=1)
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

"""The PyTorch + peft reference for bench/gpu-qwen.ts: a Qwen2 model of the given config with random init on the GPU,
batched sampling (KV cache, do_sample, no eos: every row makes new_tokens) and a LoRA SFT step (r 8, alpha 16, the
seven linear layers, AdamW over the adapters, clip 1.0, cross-entropy over every position, loss read back), eager
fp32 with TF32 off and bf16 autocast. Prints one JSON object: {"torch", "peft", "transformers", "device", "results"}."""
import json, sys, time
import torch
import torch.nn.functional as F
import transformers
import peft
from transformers import Qwen2Config, Qwen2ForCausalLM


def timed(fn, n):
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / n


def main():
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    q = json.loads(sys.argv[1])
    torch.manual_seed(0)
    cfg = {k: v for k, v in q["config"].items() if k != "model_type"}
    model = Qwen2ForCausalLM(Qwen2Config(**cfg)).to("cuda")
    V = cfg["vocab_size"]
    prompts = torch.tensor([[(b * 131 + i * 17) % V for i in range(q["prompt"])] for b in range(q["sample_B"])], device="cuda")
    out = []
    for mode in ("fp32", "bf16"):
        def sample():
            with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=mode == "bf16"):
                g = model.generate(prompts, attention_mask=torch.ones_like(prompts), do_sample=True, top_k=0, top_p=1.0, temperature=1.0,
                                   max_new_tokens=q["new_tokens"], min_new_tokens=q["new_tokens"], pad_token_id=0)
            assert g.shape[1] == q["prompt"] + q["new_tokens"], g.shape
        try:
            sample()
            s = timed(sample, 2)
            out.append({"what": "sample", "mode": mode, "tokens_per_s": q["sample_B"] * q["new_tokens"] / s})
        except Exception as e:  # recorded, so the other measurements still come back
            out.append({"what": "sample", "mode": mode, "error": repr(e)[:500]})
    lm = peft.get_peft_model(model, peft.LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
    params = [p for p in lm.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    ids = torch.randint(0, V, (q["B"], q["T"]), device="cuda")
    y = torch.randint(0, V, (q["B"] * q["T"],), device="cuda")
    for mode in ("fp32", "bf16"):
        def step():
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=mode == "bf16"):
                loss = F.cross_entropy(lm(input_ids=ids).logits.float().reshape(-1, V), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            return loss.item()
        try:
            for _ in range(2):
                step()
            out.append({"what": "lora_step", "mode": mode, "ms": timed(step, q["steps"]) * 1000, "trainable": sum(p.numel() for p in params)})
        except Exception as e:
            out.append({"what": "lora_step", "mode": mode, "error": repr(e)[:500]})
    print(json.dumps({"torch": torch.__version__, "peft": peft.__version__, "transformers": transformers.__version__, "device": torch.cuda.get_device_name(0), "results": out}))


if __name__ == "__main__":
    main()

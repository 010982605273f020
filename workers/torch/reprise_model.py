"""The torch worker's model files: a Hugging Face model read with transformers and wrapped with a PEFT LoRA adapter
(new, or a checkpoint's to continue), and the directories `save` writes (PEFT adapter, merged Hugging Face model,
optimizer.pt, reprise_state.json), each to a temporary directory renamed into place."""
import json
import os
import shutil

DTYPES = ("float32", "bfloat16", "float16")


def build(req):
    """The model of a load request, on the CPU; (model, lora) where lora is the adapter's settings or None."""
    import torch
    from transformers import AutoModelForCausalLM
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}.get(req.get("dtype", "float32"))
    if dtype is None:
        raise ValueError(f"dtype {req.get('dtype')!r} is not one of {', '.join(DTYPES)}")
    path = req.get("path")
    if not path or not os.path.isdir(path):
        raise ValueError(f"model path {path!r} is not a directory")
    if req.get("seed") is not None:
        torch.manual_seed(int(req["seed"]))
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    lora = req.get("lora")
    adapter = req.get("adapter")
    if adapter:
        from peft import PeftModel
        if not os.path.isfile(os.path.join(adapter, "adapter_config.json")):
            raise ValueError(f"adapter {adapter!r} has no adapter_config.json")
        model = PeftModel.from_pretrained(model, adapter, is_trainable=True)
        lora = lora or {"from": adapter}
    elif lora:
        from peft import LoraConfig, get_peft_model
        cfg = LoraConfig(r=lora["r"], lora_alpha=lora.get("lora_alpha", 16), lora_dropout=lora.get("lora_dropout", 0.0),
                         target_modules=lora.get("target_modules", "all-linear"), use_rslora=lora.get("use_rslora", False),
                         task_type="CAUSAL_LM")
        model = get_peft_model(model, cfg)
    return model, lora


def replica(req, state):
    """A plain CPU copy of the load request's model holding `state` (a full state dict: FSDP's, gathered to rank 0),
    for saving; the global random state is left as it was."""
    import torch
    with torch.random.fork_rng(devices=[]):
        model, _ = build({**req, "seed": None})
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise RuntimeError(f"the gathered state does not fit the model: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return model


def check_new(path, merged):
    if not path:
        raise ValueError("save needs path")
    for p in (path, merged):
        if p and os.path.exists(p):
            raise ValueError(f"save path {p} exists; choose a new directory")


def write(model, lora, req, optimizer_state):
    """Writes `path` (adapter or model, optimizer.pt when asked, reprise_state.json) and `merged`; the save result."""
    import copy
    import torch
    path, merged = req["path"], req.get("merged")
    check_new(path, merged)
    tmp = path.rstrip("/") + ".tmp-" + str(os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    if req.get("optimizer"):
        torch.save(optimizer_state, os.path.join(tmp, "optimizer.pt"))
    if req.get("state") is not None:
        with open(os.path.join(tmp, "reprise_state.json"), "w") as f:
            json.dump(req["state"], f)
    os.replace(tmp, path)
    out = {"path": path, "files": sorted(os.listdir(path)), "layout": "peft" if lora else "hf"}
    if merged:
        mtmp = merged.rstrip("/") + ".tmp-" + str(os.getpid())
        shutil.rmtree(mtmp, ignore_errors=True)
        full = copy.deepcopy(model).merge_and_unload() if lora else model
        full.save_pretrained(mtmp)
        del full
        os.replace(mtmp, merged)
        out["merged"] = {"path": merged, "files": sorted(os.listdir(merged))}
    return out

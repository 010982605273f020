"""FSDP for the torch worker: accelerate's `distributed_type: FSDP` with `fsdp_version: 2`, read from the environment
accelerate launch sets (ACCELERATE_USE_FSDP, FSDP_*; no Accelerator object) and done with torch's FSDP2
(`fully_shard`). src/train/accelerate-config.ts checks the same keys in the config file before a run starts.

- Load: every rank builds the model (with its LoRA adapter) on the CPU; each decoder layer (TRANSFORMER_BASED_WRAP:
  fsdp_transformer_layer_cls_to_wrap, else the model's _no_split_modules) and then the root are fully_shard-ed
  (reshard_after_forward, CPUOffloadPolicy when offload_params, MixedPrecisionPolicy(bf16/fp16 params, fp32
  reductions) under mixed precision); then rank 0's full state is broadcast into the shards, so every rank starts
  from rank 0's weights and adapter init (with fsdp_cpu_ram_efficient_loading, transformers gives ranks > 0 zeros).
- Gradients: the reduce-scatter's divide factor is 1, so a shard's gradient is the SUM over ranks of each rank's
  rows, as under DDP here (the loss weights are those of the whole batch). The norm is that of the full gradient.
- Lockstep: every forward and backward all-gathers, so every rank runs as many of them as the rank with the most
  (dummy rows contribute zero); see reprise_worker.py and reprise_generate.py.
- Save: the full model and optimizer state dicts are gathered to rank 0's CPU; the optimizer state is kept in the
  layout a single process writes (parameter indices), so a checkpoint resumes under any number of processes, with
  or without FSDP.
Refused (E_INPUT naming the key): fsdp_version 1, SIZE_BASED_WRAP, SHARDED_STATE_DICT, activation checkpointing,
forward prefetch. Obsolete FSDP1 keys (sync_module_states, use_orig_params, backward_prefetch) have no effect.
"""
import os

ENV = "accelerate launch's environment"


def _flag(name, default="false"):
    v = os.environ.get(name, default).strip().lower()
    if v not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"{name}={os.environ.get(name)!r} ({ENV}) is not true or false")
    return v in ("true", "1", "yes")


def settings():
    """None unless accelerate launched this process with FSDP; else the FSDP2 settings, checked."""
    if os.environ.get("ACCELERATE_USE_FSDP", "").lower() != "true":
        return None
    version = os.environ.get("FSDP_VERSION", "1")
    if version != "2":
        raise ValueError(f"fsdp_config.fsdp_version is {version} (FSDP_VERSION): the torch worker runs FSDP2 only; set fsdp_version: 2")
    wrap = os.environ.get("FSDP_AUTO_WRAP_POLICY", "NO_WRAP").upper()
    if wrap not in ("TRANSFORMER_BASED_WRAP", "NO_WRAP"):
        raise ValueError(f"fsdp_config.fsdp_auto_wrap_policy {wrap} (FSDP_AUTO_WRAP_POLICY) is not supported: TRANSFORMER_BASED_WRAP or NO_WRAP")
    sd = os.environ.get("FSDP_STATE_DICT_TYPE", "FULL_STATE_DICT").upper()
    if sd != "FULL_STATE_DICT":
        raise ValueError(f"fsdp_config.fsdp_state_dict_type {sd} (FSDP_STATE_DICT_TYPE) is not supported: the worker saves full Hugging Face/PEFT directories (FULL_STATE_DICT)")
    for key, env in (("fsdp_activation_checkpointing", "FSDP_ACTIVATION_CHECKPOINTING"), ("fsdp_activation_checkpointing_offload", "FSDP_ACTIVATION_CHECKPOINTING_OFFLOAD"),
                     ("fsdp_forward_prefetch", "FSDP_FORWARD_PREFETCH")):
        if _flag(env):
            raise ValueError(f"fsdp_config.{key} true ({env}) is not supported by the torch worker; set it to false")
    if os.environ.get("FSDP_IGNORED_MODULES"):
        raise ValueError("fsdp_config.fsdp_ignored_modules (FSDP_IGNORED_MODULES) is not supported by the torch worker")
    layers = os.environ.get("FSDP_TRANSFORMER_CLS_TO_WRAP")
    return {"version": 2, "reshard_after_forward": _flag("FSDP_RESHARD_AFTER_FORWARD", "true"), "offload_params": _flag("FSDP_OFFLOAD_PARAMS"),
            "auto_wrap_policy": wrap, "layer_classes": [c.strip() for c in layers.split(",") if c.strip()] if layers else None,
            "cpu_ram_efficient_loading": _flag("FSDP_CPU_RAM_EFFICIENT_LOADING"), "state_dict_type": sd}


def _layer_classes(model, cfg):
    if cfg["auto_wrap_policy"] == "NO_WRAP":
        return set()
    names = cfg["layer_classes"]
    if names is None:
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        names = list(getattr(base, "_no_split_modules", None) or [])
        if not names:
            raise ValueError("TRANSFORMER_BASED_WRAP without fsdp_transformer_layer_cls_to_wrap needs the model's _no_split_modules, and this model has none")
    present = {type(m).__name__ for m in model.modules()}
    absent = [n for n in names if n not in present]
    if absent:
        raise ValueError(f"fsdp_config.fsdp_transformer_layer_cls_to_wrap names {', '.join(absent)}, not a module class of this model")
    return set(names)


def shard(model, cfg, device, mixed_precision):
    """fully_shard the layers, then the root, on a 1-D mesh of every rank; rank 0's state broadcast into the shards."""
    import torch
    import torch.distributed as dist
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import CPUOffloadPolicy, FSDPModule, MixedPrecisionPolicy, fully_shard
    classes = _layer_classes(model, cfg)
    full = model.state_dict() if dist.get_rank() == 0 else {}
    mesh = init_device_mesh(device.type, (dist.get_world_size(),))
    kw = {"mesh": mesh, "reshard_after_forward": cfg["reshard_after_forward"]}
    if cfg["offload_params"]:
        kw["offload_policy"] = CPUOffloadPolicy(pin_memory=device.type == "cuda")
    low = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(mixed_precision)
    if low is not None:
        kw["mp_policy"] = MixedPrecisionPolicy(param_dtype=low, reduce_dtype=torch.float32)
    for m in reversed(list(model.modules())):  # children before their parents
        if type(m).__name__ in classes:
            fully_shard(m, **kw)
    fully_shard(model, **kw)
    for m in model.modules():
        if isinstance(m, FSDPModule):  # a plain SUM (gloo has no PREMUL_SUM): no division at all
            m.set_gradient_divide_factor(1.0)
            m.set_force_sum_reduction_for_comms(True)
    set_model_state_dict(model, full, options=StateDictOptions(full_state_dict=True, broadcast_from_rank0=True))
    return model


def check_ids(x, vocab, what):
    """Token ids outside the vocabulary, found before any collective: every rank sees the whole batch, so every rank
    raises the same error instead of one rank failing inside a forward that the others wait on."""
    if x.numel() and (int(x.min()) < 0 or int(x.max()) >= vocab):
        bad = x[(x < 0) | (x >= vocab)].flatten()[0].item()
        raise ValueError(f"{what} holds token id {bad}, outside the vocabulary of {vocab}")


def micro_batches(n_rows, B, world, mb):
    """(r0, r1) slices of this rank's rows, then None for each dummy micro-batch: as many as the rank with the most rows has."""
    most = (B + world - 1) // world
    n = (most + mb - 1) // mb
    return [(r0, min(n_rows, r0 + mb)) if r0 < n_rows else None for r0 in range(0, n * mb, mb)]


def clip(params, max_norm):
    """The norm of the full (unsharded) gradient, before clipping; clips the shards by it."""
    import torch
    from torch.distributed.tensor import DTensor
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.nn.utils.get_total_norm(grads, 2.0, False, None)
    if isinstance(total, DTensor):
        total = total.full_tensor()
    torch.nn.utils.clip_grads_with_norm_(params, max_norm, total)
    return total.item()


def _opts():
    from torch.distributed.checkpoint.state_dict import StateDictOptions
    return StateDictOptions(full_state_dict=True, cpu_offload=True)


def full_model_state(model):
    """The full state dict on rank 0's CPU ({} on the others); every rank must call it."""
    from torch.distributed.checkpoint.state_dict import get_model_state_dict
    return get_model_state_dict(model, options=_opts())


def _names(model, optimizer):
    names = {id(p): n for n, p in model.named_parameters()}
    return [names[id(p)] for g in optimizer.param_groups for p in g["params"]]


def full_optimizer_state(model, optimizer):
    """The optimizer state gathered to rank 0 in the layout of optimizer.state_dict() in one process (state and
    param_groups by parameter index); None on the other ranks. Every rank must call it."""
    import torch.distributed as dist
    from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict
    osd = get_optimizer_state_dict(model, optimizer, options=_opts())
    if dist.get_rank() != 0:
        return None
    index = {n: i for i, n in enumerate(_names(model, optimizer))}
    groups = [{**g, "params": [index[n] for n in g["params"]]} for g in osd["param_groups"]]
    return {"state": {index[n]: s for n, s in osd["state"].items()}, "param_groups": groups}


def load_optimizer_state(model, optimizer, sd):
    """Loads a one-process optimizer.state_dict() (a checkpoint's optimizer.pt) into the sharded optimizer."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict
    names = _names(model, optimizer)
    n = sum(len(g["params"]) for g in sd["param_groups"])
    if n != len(names):
        raise ValueError(f"the optimizer state holds {n} parameters, this model trains {len(names)}")
    fqn = {"state": {names[int(i)]: s for i, s in sd["state"].items()},
           "param_groups": [{**g, "params": [names[int(i)] for i in g["params"]]} for g in sd["param_groups"]]}
    set_optimizer_state_dict(model, optimizer, fqn, options=StateDictOptions(full_state_dict=True))

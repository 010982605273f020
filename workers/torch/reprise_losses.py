"""The losses of Reprise's torch worker: the torch twin of src/train/grpo-loss.ts and src/train/losses.ts
(tests/fixtures/loss/loss-fixture.json ties the two together). Only torch, imported when a function runs."""

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

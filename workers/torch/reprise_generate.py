"""Batched sampling for the torch worker's `generate`: temperature, top-k, top-p, a stop at eos/stop ids or at
max_tokens. Each row draws from its own torch.Generator seeded by the request, so a row's completion does not
depend on the batch it is in, nor on the number of ranks. Rows are batched with others of the same prompt length
(GRPO's groups share a prompt), so no padding, attention mask or position shift is involved."""


def pick(logits, temperature, top_k, top_p, gen):
    """One token id from logits [V]: greedy at temperature 0, else softmax(logits / T) cut to the top k, then to the top-p mass."""
    import torch
    if temperature == 0:
        return int(logits.argmax())
    z = logits / temperature
    if 0 < top_k < z.numel():
        kth = torch.topk(z, top_k).values[-1]
        z = z.masked_fill(z < kth, float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p < 1:
        sp, order = torch.sort(probs, descending=True)
        keep = (torch.cumsum(sp, 0) - sp) < top_p  # the smallest prefix whose mass reaches top_p
        probs = torch.zeros_like(probs).scatter(0, order, sp * keep)
    return int(torch.multinomial(probs, 1, generator=gen))


def sample_rows(model, prompts, seeds, req, device):
    import torch
    if "max_tokens" not in req:
        raise ValueError("generate needs max_tokens")
    temperature, top_p, top_k = float(req.get("temperature", 1.0)), float(req.get("top_p", 1.0)), int(req.get("top_k") or 0)
    max_tokens, mb = int(req["max_tokens"]), max(1, int(req.get("micro_batch", 64)))
    stop = {int(x) for x in [*req.get("eos_ids", []), *req.get("stop_ids", [])]}
    ctx = getattr(model.config, "max_position_embeddings", None)
    tokens, finished = [None] * len(prompts), [False] * len(prompts)
    by_len = {}
    for i, p in enumerate(prompts):
        by_len.setdefault(len(p), []).append(i)
    for L, idx in by_len.items():
        n_new = max_tokens if ctx is None else min(max_tokens, ctx - L)
        if n_new <= 0:
            raise ValueError(f"a prompt of {L} tokens leaves no room in the context of {ctx}")
        for c0 in range(0, len(idx), mb):
            rows = idx[c0:c0 + mb]
            gens = [torch.Generator(device=device).manual_seed(int(seeds[i])) for i in rows]
            toks, done = [[] for _ in rows], [False] * len(rows)
            with torch.no_grad():
                out = model(input_ids=torch.tensor([prompts[i] for i in rows], device=device), use_cache=True)
                for t in range(n_new):
                    logits = out.logits[:, -1, :].float()
                    nxt = []
                    for j in range(len(rows)):
                        if not done[j]:
                            tok = pick(logits[j], temperature, top_k, top_p, gens[j])
                            toks[j].append(tok)
                            done[j] = tok in stop
                        nxt.append(toks[j][-1])
                    if all(done) or t == n_new - 1:
                        break
                    out = model(input_ids=torch.tensor(nxt, device=device).view(-1, 1), past_key_values=out.past_key_values, use_cache=True)
            for j, i in enumerate(rows):
                tokens[i], finished[i] = toks[j], done[j]
    return {"tokens": tokens, "finished": finished}

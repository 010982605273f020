"""Batched sampling for the torch worker's `generate`: temperature, top-k, top-p, a stop at eos/stop ids or at
max_tokens. Each row draws from its own torch.Generator seeded by the request, so a row's completion does not
depend on the batch it is in, nor on the number of ranks. Rows are batched with others of the same prompt length
(GRPO's groups share a prompt), so no padding, attention mask or position shift is involved. Under FSDP the ranks
step in lockstep (sample_rows' `lockstep`)."""


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


def _room(model, L, max_tokens):
    ctx = getattr(model.config, "max_position_embeddings", None)
    n_new = max_tokens if ctx is None else min(max_tokens, ctx - L)
    if n_new <= 0:
        raise ValueError(f"a prompt of {L} tokens leaves no room in the context of {ctx}")
    return n_new


def check_prompts(model, prompts, req):
    """What sample_rows would refuse in any prompt of the request (under FSDP every rank checks them all first)."""
    if "max_tokens" not in req:
        raise ValueError("generate needs max_tokens")
    vocab = model.get_input_embeddings().num_embeddings
    for i, p in enumerate(prompts):
        if any(not isinstance(t, int) or t < 0 or t >= vocab for t in p):
            raise ValueError(f"prompt {i} holds a token id outside the vocabulary of {vocab}")
        _room(model, len(p), int(req["max_tokens"]))


class _Chunk:
    """Rows of one prompt length sampled together, each from its own generator."""

    def __init__(self, prompts, seeds, n_new, device):
        import torch
        self.ids = torch.tensor(prompts, device=device)
        self.gens = [torch.Generator(device=device).manual_seed(int(s)) for s in seeds]
        self.toks, self.done, self.n_new, self.t, self.live = [[] for _ in prompts], [False] * len(prompts), n_new, 0, True

    def take(self, logits, sampling, stop):
        """Picks the next token of each unfinished row from logits [rows, V]; whether another forward is needed."""
        for j in range(len(self.toks)):
            if not self.done[j]:
                tok = pick(logits[j], *sampling, self.gens[j])
                self.toks[j].append(tok)
                self.done[j] = tok in stop
        self.t += 1
        self.live = not (all(self.done) or self.t == self.n_new)
        return self.live

    def next_ids(self):
        import torch
        return torch.tensor([t[-1] for t in self.toks], device=self.ids.device).view(-1, 1)


def sample_rows(model, prompts, seeds, req, device, lockstep=None):
    """Completions of `prompts`. With `lockstep` (a Comm, under FSDP) every rank runs the same number of forwards:
    as many chunks as the rank with the most, each until no rank's chunk needs another token (the others run a
    one-token dummy forward meanwhile); a row's tokens are the same either way."""
    import torch
    if "max_tokens" not in req:
        raise ValueError("generate needs max_tokens")
    temperature, top_p, top_k = float(req.get("temperature", 1.0)), float(req.get("top_p", 1.0)), int(req.get("top_k") or 0)
    max_tokens, mb = int(req["max_tokens"]), max(1, int(req.get("micro_batch", 64)))
    stop = {int(x) for x in [*req.get("eos_ids", []), *req.get("stop_ids", [])]}
    by_len = {}
    for i, p in enumerate(prompts):
        by_len.setdefault(len(p), []).append(i)
    chunks = [(L, idx[c0:c0 + mb]) for L, idx in by_len.items() for c0 in range(0, len(idx), mb)]
    n_chunks = len(chunks) if lockstep is None else lockstep.max_int(len(chunks))
    tokens, finished = [None] * len(prompts), [False] * len(prompts)
    dummy = lambda: model(input_ids=torch.zeros(1, 1, dtype=torch.long, device=device), use_cache=False)  # noqa: E731
    with torch.no_grad():
        for c in range(n_chunks):
            job = None
            if c < len(chunks):
                L, rows = chunks[c]
                job = _Chunk([prompts[i] for i in rows], [seeds[i] for i in rows], _room(model, L, max_tokens), device)
            out = model(input_ids=job.ids, use_cache=True) if job else dummy()
            while True:
                active = job is not None and job.live and job.take(out.logits[:, -1, :].float(), (temperature, top_k, top_p), stop)
                more = active if lockstep is None else lockstep.max_int(active) > 0
                if not more:
                    break
                out = model(input_ids=job.next_ids(), past_key_values=out.past_key_values, use_cache=True) if active else dummy()
            if job:
                for j, i in enumerate(rows):
                    tokens[i], finished[i] = job.toks[j], job.done[j]
    return {"tokens": tokens, "finished": finished}

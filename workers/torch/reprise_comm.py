"""The ranks of a worker under `accelerate launch` (torchrun): rank 0 reads the protocol and broadcasts each request;
every rank runs it on its slice of the batch; failures are gathered so that all ranks skip a collective together.

Two groups: `ctl` (gloo, a long timeout) carries requests, since ranks wait there while the client computes rewards;
`sync` (gloo, REPRISE_RANK_TIMEOUT seconds, default 300) carries everything inside a command, so a rank that is
stuck or gone makes the others fail with an error naming the wait, never hang. Gradients go over the default
group (nccl on GPUs, gloo on CPU), as do FSDP's collectives. One process: every method is the identity (under FSDP
the process group exists anyway, for fully_shard's mesh).
"""
import os
from datetime import timedelta


def rank():
    return int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0")))


def worker_device():
    """REPRISE_TORCH_DEVICE if set (cpu: the gloo path on a GPU host), cpu under accelerate's use_cpu, else cuda:LOCAL_RANK."""
    import torch
    want = os.environ.get("REPRISE_TORCH_DEVICE")
    if want:
        return torch.device(want)
    if os.environ.get("ACCELERATE_USE_CPU", "").lower() == "true" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")) % torch.cuda.device_count())


class Comm:
    def __init__(self, device, process_group=False):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = rank()
        self.timeout_s = float(os.environ.get("REPRISE_RANK_TIMEOUT", "300"))
        self.backend = None
        self.initialised = self.world > 1 or process_group
        if self.initialised:
            import torch.distributed as dist
            self.dist = dist
            # FSDP on GPUs also has CPU tensors to reduce (offloaded shards and gradients, the gathered state): gloo for those
            self.backend = "gloo" if device.type == "cpu" else "cpu:gloo,cuda:nccl" if process_group else "nccl"
            if device.type == "cuda":
                import torch
                torch.cuda.set_device(device)
            if self.world == 1 and "MASTER_ADDR" not in os.environ:  # one process outside torchrun
                dist.init_process_group(self.backend, store=dist.HashStore(), rank=0, world_size=1, timeout=timedelta(seconds=self.timeout_s))
            else:
                dist.init_process_group(self.backend, timeout=timedelta(seconds=self.timeout_s))
            self.ctl = dist.new_group(backend="gloo", timeout=timedelta(days=7))
            self.sync = dist.new_group(backend="gloo", timeout=timedelta(seconds=self.timeout_s))

    def rows(self, B):
        """This rank's contiguous slice of B rows (possibly empty)."""
        return slice(self.rank * B // self.world, (self.rank + 1) * B // self.world)

    def broadcast(self, obj):
        if self.world == 1:
            return obj
        box = [obj]
        self.dist.broadcast_object_list(box, src=0, group=self.ctl)
        return box[0]

    def all_gather(self, obj):
        if self.world == 1:
            return [obj]
        out = [None] * self.world
        self.dist.all_gather_object(out, obj, group=self.sync)
        return out

    def all_reduce_sum(self, tensor):
        if self.world > 1:
            self.dist.all_reduce(tensor, group=None)
        return tensor

    def max_int(self, n):
        """The largest of every rank's n (over the sync group)."""
        if self.world == 1:
            return n
        import torch
        t = torch.tensor([int(n)], dtype=torch.int64)
        self.dist.all_reduce(t, op=self.dist.ReduceOp.MAX, group=self.sync)
        return int(t.item())

    def broadcast_tensor(self, tensor):
        if self.world > 1:
            self.dist.broadcast(tensor, src=0)
        return tensor

    def close(self):
        if self.initialised:
            try:
                self.dist.destroy_process_group()
            except Exception:  # noqa: BLE001 - exiting anyway
                pass

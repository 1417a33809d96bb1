"""Data-parallel training under ``torchrun``: one process per device, same entry point as a single run.

torchrun sets RANK, LOCAL_RANK and WORLD_SIZE (and MASTER_ADDR/PORT); a plain ``python -m`` run sets
none of them and everything here degrades to a single process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Context:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def from_env() -> Context:
    """Read the process's place in the job from the variables torchrun sets."""
    return Context(
        rank=int(os.environ.get("RANK", "0")),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        world_size=int(os.environ.get("WORLD_SIZE", "1")),
    )


def init(ctx: Context, device: torch.device) -> None:
    """Join the process group: NCCL between CUDA/ROCm GPUs, Gloo on CPUs (and MPS, which has no backend)."""
    if ctx.enabled and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(
            backend=backend,
            rank=ctx.rank,
            world_size=ctx.world_size,
            device_id=device if device.type == "cuda" else None,
        )


def barrier() -> None:
    """Wait until every process gets here (nothing to wait for in a single process)."""
    if dist.is_initialized():
        dist.barrier()


def shutdown(clean: bool = True) -> None:
    """Leave the process group; after a normal run, only once every rank has arrived.

    Without the barrier a rank that finishes early (rank 1, while rank 0 still writes files and scores the
    test split) destroys its group while the other's Gloo threads still talk to it, and the process can die
    at exit with ``terminate called without an active exception`` (SIGABRT) after training succeeded.
    After an error on one rank the others may never arrive, so then the group is left without waiting.
    """
    if not dist.is_initialized():
        return
    if clean:
        dist.barrier()
    dist.destroy_process_group()


def mean_across_ranks(value: torch.Tensor) -> torch.Tensor:
    """Average a per-process tensor over all processes (the identity in a single process)."""
    if not dist.is_initialized():
        return value
    value = value.clone()
    dist.all_reduce(value, op=dist.ReduceOp.SUM)
    return value / dist.get_world_size()


def replicas_in_sync(model: torch.nn.Module, device: torch.device) -> bool:
    """True when every process holds the same weights, which DDP's gradient all-reduce should guarantee."""
    if not dist.is_initialized():
        return True
    with torch.no_grad():
        flat = torch.cat([p.detach().reshape(-1).to(torch.float64) for p in model.parameters()])
        checksum = torch.stack((flat.sum(), flat.abs().sum())).to(device)
    gathered = [torch.empty_like(checksum) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, checksum)
    return all(torch.allclose(g, gathered[0], rtol=0, atol=1e-9) for g in gathered)

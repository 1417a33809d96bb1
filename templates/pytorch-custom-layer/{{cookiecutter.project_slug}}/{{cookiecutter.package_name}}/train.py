"""The training loop: seeded, mixed precision where it pays, optional torch.compile, gradient
clipping, checkpoint and resume, per-epoch metrics, and DistributedDataParallel under torchrun."""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

from . import checkpoint, distributed
from .data import Dataset, Standardizer, load_csv, make_spirals, split, to_tensor_dataset
from .device import autocast_dtype, select_device
from .model import ResidualClassifier


@dataclass
class TrainConfig:
    """Every knob of a run; saved in each checkpoint so a resumed run continues the same experiment."""

    data: str | None = None          # a CSV file; None = the synthetic spirals
    label_column: str = "label"
    out_dir: str = "artifacts"
    epochs: int = 12
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 1e-4
    width: int = 64
    depth: int = 3
    dropout: float = 0.0
    max_grad_norm: float = 1.0
    val_fraction: float = 0.2
    seed: int = 0
    device: str = "auto"
    threads: int = 1                 # CPU threads per process; 0 = torch's default (one per core)
    amp: str = "auto"                # auto | on | off
    compile: bool = False
    resume: str | None = None        # a checkpoint path, or "auto" for <out_dir>/last.pt


@dataclass
class EpochMetrics:
    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    grad_norm: float
    lr: float
    seconds: float


@dataclass
class TrainResult:
    history: list[EpochMetrics] = field(default_factory=list)
    checkpoint: Path | None = None
    device: str = "cpu"
    amp_dtype: str | None = None
    replicas_in_sync: bool = True


def seed_everything(seed: int) -> None:
    """Same seed -> same initial weights, split and batch order (bit-exact on CPU)."""
    random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def load_data(cfg: TrainConfig) -> Dataset:
    return load_csv(cfg.data, cfg.label_column) if cfg.data else make_spirals(seed=cfg.seed)


@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, device: torch.device,
             amp_dtype: torch.dtype | None) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` over ``loader``."""
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    for xb, yb in loader:
        xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
            logits = model(xb)
        total_loss += F.cross_entropy(logits.float(), yb, reduction="sum").item()
        correct += (logits.argmax(1) == yb).sum().item()
        count += len(yb)
    return total_loss / count, correct / count


def train(cfg: TrainConfig) -> TrainResult:
    """Run one training job; under torchrun every process calls this and rank 0 writes the files."""
    ctx = distributed.from_env()
    device = select_device(cfg.device, ctx.local_rank)
    distributed.init(ctx, device)
    try:
        return _train(cfg, ctx, device)
    finally:
        distributed.shutdown()


def _train(cfg: TrainConfig, ctx: distributed.Context, device: torch.device) -> TrainResult:
    if cfg.threads > 0:
        # This model's matrices are tiny: thread start-up and contention cost more than they save,
        # and torchrun puts several processes on one machine. Raise it for wide models on big CPUs.
        torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    out_dir = Path(cfg.out_dir)
    resume_path = out_dir / "last.pt" if cfg.resume == "auto" else Path(cfg.resume) if cfg.resume else None
    state = checkpoint.load(resume_path) if resume_path and resume_path.exists() else None
    if cfg.resume and cfg.resume != "auto" and state is None:
        raise FileNotFoundError(f"--resume {cfg.resume}: no such checkpoint")

    data = load_data(cfg)
    train_set, val_set = split(data, cfg.val_fraction, cfg.seed)
    standardize = (Standardizer(state["feature_mean"], state["feature_std"]) if state
                   else Standardizer.fit(train_set.x))
    train_ds, val_ds = to_tensor_dataset(train_set, standardize), to_tensor_dataset(val_set, standardize)
    # Each process trains on its own shard; every process validates on the whole (small) split.
    sampler: DistributedSampler | None = None
    if ctx.enabled:
        sampler = DistributedSampler(train_ds, ctx.world_size, ctx.rank, shuffle=True, seed=cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    pin = device.type == "cuda"
    train_loader = DataLoader(train_ds, cfg.batch_size, shuffle=sampler is None, sampler=sampler,
                              generator=generator, pin_memory=pin, drop_last=False)
    val_loader = DataLoader(val_ds, 512, pin_memory=pin)

    model: nn.Module = ResidualClassifier(data.num_features, data.num_classes, cfg.width, cfg.depth, cfg.dropout)
    if state:
        model.load_state_dict(state["model"])
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
    amp_dtype = autocast_dtype(device, cfg.amp)
    # Loss scaling is only needed for float16, whose narrow exponent underflows small gradients.
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
    start_epoch, history = 0, []
    if state:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scheduler.T_max = cfg.epochs  # resuming with a larger --epochs stretches the schedule to the new end
        scaler.load_state_dict(state["scaler"])
        start_epoch = state["epoch"] + 1
        history = [EpochMetrics(**m) for m in state["history"]]
        if ctx.is_main:
            print(f"resumed from {resume_path} at epoch {start_epoch}")

    if ctx.enabled:
        model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    if cfg.compile:
        model = torch.compile(model)  # type: ignore[assignment]  # a callable Module wrapper

    result = TrainResult(history=history, device=str(device), amp_dtype=str(amp_dtype) if amp_dtype else None)
    if ctx.is_main:
        print(f"training on {device} (amp: {amp_dtype or 'off'}, compile: {cfg.compile}, "
              f"processes: {ctx.world_size}) with {len(train_ds)} train / {len(val_ds)} val samples, "
              f"{data.num_features} features, {data.num_classes} classes")
    for epoch in range(start_epoch, cfg.epochs):
        start = time.perf_counter()
        # The shuffle depends only on (seed, epoch), so a resumed run sees the batches it would have seen.
        if sampler is not None:
            sampler.set_epoch(epoch)  # also keeps the shards of all ranks consistent
        else:
            generator.manual_seed(cfg.seed + epoch)
        model.train()
        loss_sum, n_batches, grad_norm = 0.0, 0, torch.zeros(())
        for xb, yb in train_loader:
            xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
                loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
            grad_norm = nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            loss_sum += loss.item()
            n_batches += 1
        scheduler.step()
        train_loss = distributed.mean_across_ranks(loss_sum / max(n_batches, 1), device)
        val_loss, val_acc = evaluate(model, val_loader, device, amp_dtype)
        metrics = EpochMetrics(epoch, train_loss, val_loss, val_acc, float(grad_norm),
                               float(scheduler.get_last_lr()[0]), time.perf_counter() - start)
        result.history.append(metrics)
        if ctx.is_main:
            print(f"epoch {epoch + 1:3d}/{cfg.epochs}  train_loss {train_loss:.4f}  val_loss {val_loss:.4f}  "
                  f"val_acc {val_acc:.3f}  grad_norm {metrics.grad_norm:.3f}  lr {metrics.lr:.2e}  "
                  f"{metrics.seconds:.2f}s", flush=True)
            result.checkpoint = out_dir / "last.pt"
            checkpoint.save(
                result.checkpoint,
                model=checkpoint.unwrap(model).state_dict(),
                optimizer=optimizer.state_dict(),
                scheduler=scheduler.state_dict(),
                scaler=scaler.state_dict(),
                epoch=epoch,
                history=[asdict(m) for m in result.history],
                config=asdict(cfg),
                feature_mean=standardize.mean,
                feature_std=standardize.std,
                class_names=list(data.class_names),
                num_features=data.num_features,
                torch_version=str(torch.__version__),  # a TorchVersion object would not load with weights_only
            )

    result.replicas_in_sync = distributed.replicas_in_sync(checkpoint.unwrap(model), device)
    if ctx.enabled:
        # Every rank reports, so a launcher (or a test) can see that all of them took part.
        shard = len(sampler) if sampler is not None else len(train_ds)
        print(f"rank {ctx.rank}/{ctx.world_size} done: {shard} samples per epoch on {device}, "
              f"replicas in sync: {result.replicas_in_sync}", flush=True)
    if ctx.is_main and result.history:
        (out_dir / "metrics.json").write_text(json.dumps([asdict(m) for m in result.history], indent=2))
        final = result.history[-1]
        print(f"done: val_accuracy {final.val_accuracy:.3f}, val_loss {final.val_loss:.4f}; "
              f"checkpoint {result.checkpoint}", flush=True)
    if not result.replicas_in_sync:
        print("error: model replicas diverged across processes", file=sys.stderr)
    return result

"""The training loop: seeded, mixed precision where it pays, optional torch.compile, gradient clipping,
best-checkpoint choice and early stopping on a validation split, a test split scored once at the end,
checkpoint and resume, and DistributedDataParallel under torchrun."""

from __future__ import annotations

import logging
import math
import random
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from . import checkpoint, distributed
from .config import REGRESSION, TrainConfig, build, for_resume
from .data import (
    Schema,
    Split,
    Table,
    class_labels,
    make_spirals,
    random_split,
    read_table,
    regression_targets,
    stratified_split,
)
from .device import autocast_dtype, needs_loss_scaling, select_device
from .metrics import task_metrics
from .model import build_model
from .runtime import DataError, EnvironmentProblem, write_json, write_metrics

log = logging.getLogger(__package__)


@dataclass
class EpochMetrics:
    epoch: int
    train_loss: float
    val_loss: float
    val_score: float  # classification: accuracy; regression: r2 (on the original scale)
    grad_norm: float  # mean over the epoch's optimizer steps (before clipping)
    lr: float
    seconds: float


@dataclass
class TrainResult:
    history: list[EpochMetrics] = field(default_factory=list)
    checkpoint: Path | None = None  # best.pt: the epoch with the lowest validation loss
    device: str = "cpu"
    amp_dtype: str | None = None
    replicas_in_sync: bool = True
    best_epoch: int = -1
    metrics: dict[str, float] = field(default_factory=dict)  # what artifacts/metrics.json holds


def seed_everything(seed: int) -> None:
    """Same seed -> same initial weights, split and batch order (bit-exact on CPU)."""
    random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def cosine_lr(base: float, epoch: int, epochs: int) -> float:
    """Cosine decay from ``base`` towards 0 over ``epochs``, as a closed form of the epoch.

    A function of (epoch, epochs) rather than a scheduler's running state, so ``--resume --epochs N`` with a
    larger N follows the longer schedule instead of staying at the finished run's final rate of 0.
    """
    return base * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


def load_table(cfg: TrainConfig) -> Table:
    """The run's data: the file named by ``cfg.data``, else the synthetic spirals."""
    return read_table(cfg.data) if cfg.data else make_spirals(seed=cfg.seed)


def configure(flags: dict[str, Any], config: str | None, resume: bool) -> tuple[TrainConfig, dict[str, Any] | None]:
    """The run's settings and, with ``resume``, the checkpoint it continues (``<out_dir>/last.pt``)."""
    if not resume:
        return build(flags, config), None
    # Where the run lives may come from the settings file; the rest of that file is not read on resume.
    out_dir = Path(flags.get("out_dir") or build({}, config).out_dir)
    last = out_dir / "last.pt"
    if not last.is_file():
        raise DataError(f"--resume: nothing to resume: {last} does not exist (train without --resume first)")
    state = checkpoint.load(last)
    return for_resume(state["config"], flags, config), state


def prepare(cfg: TrainConfig, state: dict[str, Any] | None) -> tuple[Table, Schema, Split]:
    """Load the data and fit the schema on the training rows; a resumed run reuses the saved split and schema."""
    table = load_table(cfg)
    if state is not None:
        if table.fingerprint != state["data_fingerprint"]:
            raise DataError(f"{table.source}: the data changed since the run being resumed; start a new run")
        return table, Schema.from_dict(state["schema"]), Split(**{k: tuple(v) for k, v in state["split"].items()})
    if REGRESSION:
        split = random_split(len(regression_targets(table, cfg.target)), cfg.val_fraction, cfg.test_fraction, cfg.seed)
        schema = Schema.fit(table, cfg.target, cfg.ignore, split.train, task="regression")
    else:
        labels = class_labels(table, cfg.target)
        split = stratified_split(labels, cfg.val_fraction, cfg.test_fraction, cfg.seed)
        schema = Schema.fit(table, cfg.target, cfg.ignore, split.train, class_weight=cfg.class_weight)
    return table, schema, split


def tensors(table: Table, schema: Schema, rows: tuple[int, ...] | None, *, warn: bool = False) -> TensorDataset:
    """(numbers, category ids, target) of ``rows``, as the model takes them."""
    encoded = schema.encode(table, rows, warn=warn)
    return TensorDataset(encoded.numeric, encoded.categories, schema.targets_of(table, rows))


def loss_function(schema: Schema, device: torch.device) -> Any:
    """Regression: mean squared error on the standardised target; classification: cross-entropy, each class
    weighed by the saved class weights (``balanced``: a rare class counts as much as a common one)."""
    if schema.task == "regression":
        return lambda out, y, reduction="mean": F.mse_loss(out.float().squeeze(1), y, reduction=reduction)
    weight = torch.tensor(schema.class_weights, dtype=torch.float32, device=device)
    return lambda out, y, reduction="mean": F.cross_entropy(out.float(), y, weight=weight, reduction=reduction)


@torch.no_grad()
def predict_outputs(
    model: nn.Module, loader: DataLoader, device: torch.device, amp_dtype: torch.dtype | None
) -> torch.Tensor:
    """The model's float32 outputs (logits, or the standardised prediction) for every row of ``loader``."""
    model.eval()
    outputs = []
    for xb, cb, *_ in loader:
        xb, cb = xb.to(device, non_blocking=True), cb.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
            outputs.append(model(xb, cb).float())
    return torch.cat(outputs).cpu()


def score(
    model: nn.Module, loader: DataLoader, device: torch.device, amp_dtype: torch.dtype | None, schema: Schema
) -> tuple[float, dict[str, float]]:
    """The mean training loss of ``model`` over ``loader`` and the task's metrics (on the original scale)."""
    outputs = predict_outputs(model, loader, device, amp_dtype)
    targets = torch.cat([batch[2] for batch in loader])
    loss = loss_function(schema, torch.device("cpu"))(outputs, targets)
    return float(loss), task_metrics(schema, outputs, targets)


def batch_size_for(cfg: TrainConfig, rows: int) -> int:
    """``cfg.batch_size``, smaller for a small table: at least 8 optimizer steps an epoch (and 8 rows a step)."""
    return max(1, min(cfg.batch_size, max(8, math.ceil(rows / 8))))


def _check_writable(folder: Path) -> None:
    """Fail before training, not after it: the output folder must take files."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise DataError(f"{folder}: cannot write the model there ({e.strerror or e})") from None


def train(cfg: TrainConfig, state: dict[str, Any] | None = None) -> TrainResult:
    """Run one training job; under torchrun every process calls this and rank 0 writes the files."""
    ctx = distributed.from_env()
    device = select_device(cfg.device, ctx.local_rank)
    distributed.init(ctx, device)
    clean = False
    try:
        result = _train(cfg, state, ctx, device)
        clean = True
        return result
    finally:
        distributed.shutdown(clean)


def _train(
    cfg: TrainConfig, state: dict[str, Any] | None, ctx: distributed.Context, device: torch.device
) -> TrainResult:
    if cfg.threads > 0:
        # This model's matrices are tiny: thread start-up and contention cost more than they save,
        # and torchrun puts several processes on one machine. Raise it for wide models on big CPUs.
        torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    out_dir = Path(cfg.out_dir)
    table, schema, split = prepare(cfg, state)
    if ctx.is_main:
        _check_writable(out_dir)
    train_ds, val_ds = tensors(table, schema, split.train), tensors(table, schema, split.val)
    loss_fn = loss_function(schema, device)
    # Each process trains on its own shard; every process validates on the whole (small) split.
    sampler: DistributedSampler | None = None
    if ctx.enabled:
        sampler = DistributedSampler(train_ds, ctx.world_size, ctx.rank, shuffle=True, seed=cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    pin = device.type == "cuda"
    batch_size = batch_size_for(cfg, len(sampler) if sampler is not None else len(train_ds))
    train_loader = DataLoader(
        train_ds,
        batch_size,
        shuffle=sampler is None,
        sampler=sampler,
        generator=generator,
        pin_memory=pin,
        drop_last=False,
    )
    val_loader = DataLoader(val_ds, 1024, pin_memory=pin)

    model: nn.Module = build_model(schema, cfg.width, cfg.depth, cfg.dropout)
    if state:
        model.load_state_dict(state["model"])
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    amp_dtype = autocast_dtype(device, cfg.amp)
    scaler = torch.amp.GradScaler(device.type, enabled=needs_loss_scaling(amp_dtype))
    start_epoch, history = 0, []
    best = {"val_loss": float("inf"), "epoch": -1, "bad_epochs": 0}
    if state:
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        start_epoch = state["epoch"] + 1
        history = [EpochMetrics(**m) for m in state["history"]]
        best = dict(state["best"])
        if ctx.is_main:
            log.info("resumed %s at epoch %d of %d", out_dir / "last.pt", start_epoch, cfg.epochs)

    train_model: nn.Module = model
    if ctx.enabled:
        train_model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    if cfg.compile:
        train_model = torch.compile(train_model)  # type: ignore[assignment]  # a callable Module wrapper

    result = TrainResult(
        history=history,
        device=str(device),
        amp_dtype=str(amp_dtype) if amp_dtype else None,
        best_epoch=int(best["epoch"]),
    )
    saved = {
        "config": asdict(cfg),
        "schema": schema.to_dict(),
        "data_fingerprint": table.fingerprint,
        "data_source": table.source,
        "split": {k: list(v) for k, v in asdict(split).items()},
        "torch_version": str(torch.__version__),  # a TorchVersion object would not load with weights_only
    }
    if ctx.is_main:
        log.info(
            "training on %s (amp: %s, compile: %s, processes: %d) with %d train / %d val / %d test rows, "
            "%s, batch size %d, at most %d epochs",
            device,
            amp_dtype or "off",
            cfg.compile,
            ctx.world_size,
            len(split.train),
            len(split.val),
            len(split.test),
            _describe(schema),
            batch_size,
            cfg.epochs,
        )
    stop = False
    for epoch in range(start_epoch, cfg.epochs):
        if stop:
            break
        start = time.perf_counter()
        # The shuffle depends only on (seed, epoch), so a resumed run sees the batches it would have seen.
        if sampler is not None:
            sampler.set_epoch(epoch)  # also keeps the shards of all ranks consistent
        else:
            generator.manual_seed(cfg.seed + epoch)
        lr = cosine_lr(cfg.lr, epoch, cfg.epochs)
        for group in optimizer.param_groups:
            group["lr"] = lr
        train_model.train()
        # Sums stay on the device: reading a number per step would wait for the GPU every batch.
        sums = torch.zeros(3, dtype=torch.float64, device=device)  # loss * rows, grad norm, finite-norm steps
        rows = 0
        for xb, cb, yb in train_loader:
            xb, cb = xb.to(device, non_blocking=True), cb.to(device, non_blocking=True)
            yb = yb.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
                loss = loss_fn(train_model(xb, cb), yb)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
            norm = nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            finite = torch.isfinite(norm)  # a float16 overflow step is skipped by the scaler; so is its norm
            sums += torch.stack(
                (loss.detach().double() * len(yb), torch.where(finite, norm, 0).double(), finite.double())
            )
            rows += len(yb)
        sums[0] /= max(rows, 1)
        sums[1] /= sums[2].clamp_min(1)
        train_loss, grad_norm, _ = distributed.mean_across_ranks(sums).tolist()
        val_loss, val_metrics = score(model, val_loader, device, amp_dtype, schema)
        val_score = val_metrics["r2" if schema.task == "regression" else "accuracy"]
        # Every rank takes the same early-stopping decision from the same averaged number.
        val_loss = float(distributed.mean_across_ranks(torch.tensor([val_loss], device=device)).item())
        metrics = EpochMetrics(epoch, train_loss, val_loss, val_score, grad_norm, lr, time.perf_counter() - start)
        result.history.append(metrics)
        improved = val_loss < best["val_loss"]
        if improved:
            best = {"val_loss": val_loss, "epoch": epoch, "bad_epochs": 0}
        else:
            best["bad_epochs"] += 1
        stop = cfg.patience > 0 and best["bad_epochs"] >= cfg.patience
        if ctx.is_main:
            log.info(
                "epoch %3d/%d  train_loss %.4f  val_loss %.4f  val_%s %.3f  grad_norm %.3f  lr %.2e  %.2fs%s",
                epoch + 1,
                cfg.epochs,
                train_loss,
                val_loss,
                "r2" if schema.task == "regression" else "acc",
                val_score,
                metrics.grad_norm,
                metrics.lr,
                metrics.seconds,
                "  (best)" if improved else "",
            )
            weights = checkpoint.unwrap(model).state_dict()
            if improved:
                checkpoint.save(out_dir / "best.pt", model=weights, epoch=epoch, **saved)
            checkpoint.save(
                out_dir / "last.pt",
                model=weights,
                optimizer=optimizer.state_dict(),
                scaler=scaler.state_dict(),
                epoch=epoch,
                best=best,
                history=[asdict(m) for m in result.history],
                **saved,
            )
        if stop and ctx.is_main:
            log.info("early stopping: no better validation loss for %d epochs", cfg.patience)
    if start_epoch >= cfg.epochs and ctx.is_main:
        log.info("nothing left to train: the run already has %d epochs; raise --epochs to continue", cfg.epochs)
    result.best_epoch = int(best["epoch"])

    result.replicas_in_sync = distributed.replicas_in_sync(model, device)
    if ctx.enabled:
        # Every rank reports, so a launcher (or a test) can see that all of them took part.
        shard = len(sampler) if sampler is not None else len(train_ds)
        log.info(
            "rank %d/%d done: %d samples per epoch on %s, replicas in sync: %s",
            ctx.rank,
            ctx.world_size,
            shard,
            device,
            result.replicas_in_sync,
        )
    if not result.replicas_in_sync:
        raise EnvironmentProblem("model replicas diverged across processes")
    if ctx.is_main:
        result.checkpoint = out_dir / "best.pt"
        result.metrics = _final_metrics(result, table, schema, split, device, amp_dtype)
        write_metrics(out_dir / "metrics.json", result.metrics)
        write_json(out_dir / "history.json", [asdict(m) for m in result.history])
        write_json(
            out_dir / "schema.json",
            {
                **schema.to_dict(),
                "data_fingerprint": table.fingerprint,
                "data_source": table.source,
                "held_out_test_rows": list(split.test),
                "validation_rows": list(split.val),
            },
        )
        for name in ("r2", "rmse", "mae") if schema.task == "regression" else ("accuracy", "f1_macro"):
            log.info("test %s: %.4f (%d held-out rows)", name, result.metrics[name], len(split.test))
        log.info(
            "done: best epoch %d of %d by validation loss (weights restored from it); model %s",
            result.best_epoch + 1,
            len(result.history),
            result.checkpoint,
        )
    return result


def _final_metrics(
    result: TrainResult, table: Table, schema: Schema, split: Split, device: torch.device, amp_dtype: torch.dtype | None
) -> dict[str, float]:
    """Score the chosen (best) model once on the test rows, which neither training nor the choice saw."""
    best = checkpoint.load(Path(result.checkpoint))
    model = build_model(schema, best["config"]["width"], best["config"]["depth"], best["config"]["dropout"])
    model.load_state_dict(best["model"])
    model.to(device)
    test_loss, test_metrics = score(
        model, DataLoader(tensors(table, schema, split.test), 1024), device, amp_dtype, schema
    )
    chosen = result.history[[m.epoch for m in result.history].index(result.best_epoch)]
    return {
        **test_metrics,
        "loss": test_loss,
        f"val_{'r2' if schema.task == 'regression' else 'accuracy'}": chosen.val_score,
        "val_loss": chosen.val_loss,
        "best_epoch": result.best_epoch + 1,
        "epochs": len(result.history),
        "rows_train": len(split.train),
        "rows_val": len(split.val),
        "rows_test": len(split.test),
    }


def _describe(schema: Schema) -> str:
    kinds = ", ".join(f"{schema.kinds.count(k)} {k}" for k in ("numeric", "date", "categorical") if k in schema.kinds)
    what = "a number to predict" if schema.task == "regression" else f"{schema.num_classes} classes"
    return f"features: {kinds}; {what}"

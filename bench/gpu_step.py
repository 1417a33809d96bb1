"""Training-step time on the GPU, mixed precision against fp32 (run by bench/gpu.sh in the PyTorch project's venv).

AMP as the PyTorch starter does it: bf16 where the GPU supports it natively, else fp16 with a GradScaler.
Prints one fragment for gpu.sh's summary line; exits 1 when CUDA is not usable (never times the CPU).
"""

from __future__ import annotations

import sys
import time

import torch


def step_ms(amp: bool, steps: int = 50) -> float:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4096, 4096), torch.nn.GELU(), torch.nn.Linear(4096, 4096)).cuda()
    optimizer = torch.optim.AdamW(model.parameters())
    bf16 = torch.cuda.is_bf16_supported(including_emulation=False)
    dtype = torch.bfloat16 if bf16 else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=amp and not bf16)
    x = torch.randn(8192, 4096, device="cuda")
    y = torch.randn(8192, 4096, device="cuda")
    for i in range(steps + 10):  # the first ten warm up (kernel selection, allocator)
        if i == 10:
            torch.cuda.synchronize()
            started = time.perf_counter()
        with torch.autocast("cuda", dtype=dtype, enabled=amp):
            loss = torch.nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    torch.cuda.synchronize()
    return (time.perf_counter() - started) / steps * 1000


def main() -> int:
    if not torch.cuda.is_available():
        print("CUDA is not available to torch", file=sys.stderr)
        return 1
    fp32, amp = step_ms(amp=False), step_ms(amp=True)
    kind = "bf16" if torch.cuda.is_bf16_supported(including_emulation=False) else "fp16"
    print(f"step fp32 {fp32:.2f} ms, AMP ({kind}) {amp:.2f} ms ({fp32 / amp:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

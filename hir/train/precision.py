"""bf16 autocast: on CUDA only, where ``config.bf16`` allows it (None = on for CUDA)."""

from __future__ import annotations

from contextlib import nullcontext

import torch


def use_bf16(config, device: torch.device) -> bool:
    return device.type == "cuda" if config.bf16 is None else bool(config.bf16 and
                                                                  device.type == "cuda")


def autocast(device: torch.device, bf16: bool):
    if bf16 and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()

"""Where a net runs and in which precision: the device choice and mixed precision, shared by
training and inference."""

from __future__ import annotations

import functools

import torch

from steelseg_gui.core.errors import SteelSegError
from steelseg_gui.core.nets.settings import DEVICES


def choose_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA, then Apple MPS, then CPU; an explicit device that is absent is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SteelSegError("--device cuda: no CUDA GPU is available on this machine; use --device auto or cpu")
    if name not in DEVICES:
        raise SteelSegError(f"unknown device '{name}': use {', '.join(DEVICES)}")
    return torch.device(name)


def mixed_precision_dtype(device: torch.device) -> torch.dtype | None:
    """float16 on CUDA (with loss scaling); bfloat16 on CPUs whose instruction set computes it
    (AVX512-BF16 or AMX: about twice as fast); none elsewhere. Weights and the loss stay float32.

    oneDNN also runs bfloat16 on plain AVX-512 by emulation, about half as fast as float32, so
    the CPU's own flags decide, not ``torch.ops.mkldnn._is_mkldnn_bf16_supported``."""
    if device.type == "cuda":
        return torch.float16
    if device.type == "cpu" and torch.backends.mkldnn.is_available() and cpu_computes_bfloat16():
        return torch.bfloat16
    return None


@functools.cache
def cpu_computes_bfloat16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """True when ``cpuinfo`` (Linux's) lists native bfloat16 instructions (x86 AVX512-BF16 or AMX-BF16)."""
    try:
        with open(cpuinfo) as handle:
            flags = next((line.split(":", 1)[1].split() for line in handle if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags

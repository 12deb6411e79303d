"""Keeping triton out of SteelSeg's process, so that nets can be imported after napari's canvas exists.

triton's ``libtriton.so`` carries its own LLVM and exports its LLVM symbols. Mesa's DRI loader
opens the OpenGL driver (llvmpipe, radeonsi...) and with it the system ``libLLVM`` with
``RTLD_GLOBAL`` as soon as a GL context exists. A libtriton loaded after that binds thousands of
its LLVM references to the system libLLVM, whose ABI differs, and crashes in its static
constructors. torchvision imports ``torch._dynamo`` (``ops/roi_align.py``), which imports triton
when it is installed; timm imports torchvision and segmentation-models-pytorch imports timm. So a
napari user who docks SteelSeg and then runs a net would crash napari.

SteelSeg never uses ``torch.compile`` or triton kernels (eager CPU and CUDA need neither), so the
process is told that triton is not installed. ``steelseg_gui/__init__`` calls :func:`block_triton`
before anything can import torch; ``STEELSEG_ALLOW_TRITON=1`` leaves triton alone.
"""

from __future__ import annotations

import os
import sys

ALLOW_ENV = "STEELSEG_ALLOW_TRITON"


def block_triton() -> bool:
    """Make ``import triton`` raise ImportError in this process; True when blocked (idempotent).

    Does nothing when triton is already imported (it was then loaded before any GL context, or
    the process would have crashed) or when ``STEELSEG_ALLOW_TRITON=1``.
    """
    if os.environ.get(ALLOW_ENV) == "1":
        return False
    if sys.modules.get("triton", False) is None:
        return True
    if "triton" in sys.modules:
        return False
    # torch registers triton-backed op overrides (a CUDA bmm) when it is imported; with this
    # variable it registers none, so eager CUDA ops never reach for triton later.
    os.environ.setdefault("TORCH_DISABLE_NATIVE_JIT", "1")
    sys.modules["triton"] = None  # import triton -> ModuleNotFoundError; find_spec("triton") -> None
    torch = sys.modules.get("torch")
    if torch is not None:  # torch came first: drop the overrides it registered
        try:
            from torch._native import triton_utils

            triton_utils.deregister_op_overrides()
        except Exception:  # a private API, absent from other torch versions
            pass
    return True

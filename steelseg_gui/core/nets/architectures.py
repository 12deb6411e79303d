"""Segmentation networks by name: the seed paper's U-Net and SegNet, and segmentation-models-pytorch.

Every network maps a float32 batch ``(N, C, H, W)`` to class scores ``(N, K, H, W)`` (logits).
Names:

- ``unet``: the seed paper's U-Net (MATLAB ``unetLayers``, encoder depth 3): 64 filters at the
  first level, plain 3×3 convolutions with ReLU and no batch norm, 2×2 max pooling, 2×2
  transposed-convolution upsampling; 7,697,410 parameters for 3 input channels and 2 classes.
  H and W must be multiples of 8.
- ``segnet-vgg16``: VGG16's 13 convolutions with batch norm, and a mirrored decoder that
  upsamples with the encoder's max-pooling indices; 29,444,166 parameters for 3 channels and 2
  classes. H and W must be multiples of 32.
- ``deeplabv3plus-resnet50``, ``deeplabv3plus-resnet18``, ``deeplabv3plus-mobilenetv2`` and any
  other segmentation-models-pytorch pair written ``ARCHITECTURE-ENCODER`` (``unet-resnet34``,
  ``fpn-efficientnet-b0``...). H and W must be multiples of 32 (16 for DeepLabV3+).

No weights are downloaded: encoders start random unless a local weights file is given
(:func:`load_encoder_weights`). segmentation-models-pytorch is imported with this module on
purpose: imported for the first time from a GUI worker thread, it crashed in triton's start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import segmentation_models_pytorch as smp
import torch
from segmentation_models_pytorch.encoders import encoders
from torch import nn

from steelseg_gui.core.errors import ModelError, SteelSegError
from steelseg_gui.core.nets.settings import PAPER_NETWORKS, SEED_PAPER_SMP, architecture_names

ENCODER_ALIASES = {"mobilenetv2": "mobilenet_v2"}
VGG16_STAGES = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))


class ArchitectureError(SteelSegError):
    """An architecture name that is not in the registry."""


def build_network(name: str, in_channels: int, classes: int) -> nn.Module:
    """A freshly initialised network ``name`` for ``in_channels`` input channels and ``classes`` outputs."""
    if name == "unet":
        return PaperUNet(in_channels, classes)
    if name == "segnet-vgg16":
        return SegNetVGG16(in_channels, classes)
    arch, encoder = _smp_pair(name)
    return smp.create_model(arch, encoder_name=encoder, encoder_weights=None, in_channels=in_channels, classes=classes)


def _smp_pair(name: str) -> tuple[str, str]:
    if name in SEED_PAPER_SMP:
        return SEED_PAPER_SMP[name]
    arch, _, encoder = name.partition("-")
    encoder = ENCODER_ALIASES.get(encoder, encoder)
    if arch in smp.MODEL_ARCHITECTURES_MAPPING and (encoder in encoders or encoder.startswith("tu-")):
        return arch, encoder
    raise ArchitectureError(
        f"unknown network '{name}'. Valid names: {', '.join(architecture_names())}, or ARCHITECTURE-ENCODER "
        f"with ARCHITECTURE one of {', '.join(sorted(smp.MODEL_ARCHITECTURES_MAPPING))} and ENCODER a "
        f"segmentation-models-pytorch encoder such as resnet34, efficientnet-b0, mobilenet_v2"
    )


def check_architecture(name: str) -> None:
    """Raise :class:`ArchitectureError` (listing the valid names) unless ``name`` can be built."""
    if name not in PAPER_NETWORKS:
        _smp_pair(name)


def parameter_count(model: nn.Module) -> int:
    """Number of trainable parameters (batch-norm scales and offsets included, as MATLAB counts)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def encoder_of(model: nn.Module) -> nn.Module:
    """The part of ``model`` a pretrained-encoder weights file fills."""
    encoder = getattr(model, "encoder", None)
    if not isinstance(encoder, nn.Module):
        raise ModelError(f"{type(model).__name__} has no encoder to load weights into")
    return encoder


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a ``.safetensors`` file or a PyTorch state dict file (loaded with ``weights_only``)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: weights file not found")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch and safetensors raise many types for foreign files
        raise ModelError(
            f"{path}: not a weights file SteelSeg can read ({exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''})"
        ) from exc
    if isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
        state = state["state_dict"]
    if (
        not isinstance(state, Mapping)
        or not state
        or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items())
    ):
        raise ModelError(f"{path}: is not a state dict (a mapping of parameter names to tensors)")
    return dict(state)


def load_encoder_weights(model: nn.Module, path: str | Path) -> int:
    """Fill the encoder of ``model`` from a local weights file; return how many tensors were loaded.

    Keys may carry an ``encoder.`` prefix. A classifier head (``fc.*``, ``classifier.*``) is ignored.
    """
    state = read_state_dict(path)
    encoder = encoder_of(model)
    own = encoder.state_dict()
    state = {k.removeprefix("encoder."): v for k, v in state.items()}
    usable = {k: v for k, v in state.items() if k in own}
    wrong_shape = [k for k, v in usable.items() if v.shape != own[k].shape]
    if not usable:
        raise ModelError(
            f"{path}: none of its {len(state)} tensors belongs to this network's encoder; "
            "is it the weights of another encoder?"
        )
    if wrong_shape:
        raise ModelError(
            f"{path}: {len(wrong_shape)} tensors have other shapes than this encoder's "
            f"(first: {wrong_shape[0]} {tuple(usable[wrong_shape[0]].shape)} vs "
            f"{tuple(own[wrong_shape[0]].shape)}); check the encoder and input channels"
        )
    encoder.load_state_dict(usable, strict=False)
    return len(usable)


def _conv_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(inplace=True)]


class PaperUNet(nn.Module):
    """The seed paper's U-Net: encoder depth 3, 64 first-level filters, no batch norm."""

    def __init__(self, in_channels: int, classes: int, filters: int = 64, depth: int = 3):
        super().__init__()
        widths = [filters * 2**level for level in range(depth)]
        self.encoder = nn.ModuleList()
        channels = in_channels
        for width in widths:
            self.encoder.append(nn.Sequential(*_conv_relu(channels, width), *_conv_relu(width, width)))
            channels = width
        bridge = filters * 2**depth
        self.bridge = nn.Sequential(*_conv_relu(channels, bridge), *_conv_relu(bridge, bridge))
        self.up = nn.ModuleList()
        self.decoder = nn.ModuleList()
        channels = bridge
        for width in reversed(widths):
            self.up.append(nn.Sequential(nn.ConvTranspose2d(channels, width, 2, stride=2), nn.ReLU(inplace=True)))
            self.decoder.append(nn.Sequential(*_conv_relu(2 * width, width), *_conv_relu(width, width)))
            channels = width
        self.head = nn.Conv2d(channels, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for stage in self.encoder:
            x = stage(x)
            skips.append(x)
            x = nn.functional.max_pool2d(x, 2)
        x = self.bridge(x)
        for up, stage, skip in zip(self.up, self.decoder, reversed(skips)):
            x = stage(torch.cat([up(x), skip], dim=1))
        return self.head(x)


def _conv_bn_relu(in_channels: int, out_channels: int, relu: bool = True) -> list[nn.Module]:
    layers = [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels)]
    return layers + [nn.ReLU(inplace=True)] if relu else layers


class SegNetVGG16(nn.Module):
    """SegNet: VGG16 encoder with batch norm; the decoder unpools with the encoder's pooling indices."""

    def __init__(self, in_channels: int, classes: int):
        super().__init__()
        self.encoder = nn.ModuleList()
        channels = in_channels
        for stage in VGG16_STAGES:
            layers = []
            for width in stage:
                layers += _conv_bn_relu(channels, width)
                channels = width
            self.encoder.append(nn.Sequential(*layers))
        # Each decoder stage mirrors an encoder stage; its last convolution narrows to the width of
        # the stage before (or to the classes, with batch norm but no ReLU: these are the logits).
        self.decoder = nn.ModuleList()
        narrow_to = [stage[0] for stage in VGG16_STAGES[:-1]][::-1] + [classes]
        for s, (stage, out_width) in enumerate(zip(reversed(VGG16_STAGES), narrow_to)):
            widths = list(stage[1:]) + [out_width]
            layers = []
            for k, width in enumerate(widths):
                logits = s == len(VGG16_STAGES) - 1 and k == len(widths) - 1
                layers += _conv_bn_relu(channels, width, relu=not logits)
                channels = width
            self.decoder.append(nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = []
        for stage in self.encoder:
            x = stage(x)
            size = x.shape[-2:]
            x, indices = nn.functional.max_pool2d(x, 2, return_indices=True)
            pooled.append((indices, size))
        for stage, (indices, size) in zip(self.decoder, reversed(pooled)):
            x = stage(nn.functional.max_unpool2d(x, indices, 2, output_size=size))
        return x

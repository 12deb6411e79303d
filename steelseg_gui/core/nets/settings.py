"""Training settings and the names of the registered networks, written once for the command line,
the Train panel and the trainer. Importing this module imports no torch."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TILE = 224
PAPER_NETWORKS = ("unet", "segnet-vgg16")
SEED_PAPER_SMP = {
    "deeplabv3plus-resnet50": ("deeplabv3plus", "resnet50"),
    "deeplabv3plus-resnet18": ("deeplabv3plus", "resnet18"),
    "deeplabv3plus-mobilenetv2": ("deeplabv3plus", "mobilenet_v2"),
}
CLASS_WEIGHTINGS = ("median", "inverse", "none")
SPLITS = ("image", "tile")
DEVICES = ("auto", "cpu", "cuda", "mps")
DEFAULT_ARCHITECTURE = "deeplabv3plus-mobilenetv2"


def architecture_names() -> list[str]:
    """The named networks (any other segmentation-models-pytorch ``ARCH-ENCODER`` pair works too)."""
    return list(PAPER_NETWORKS) + list(SEED_PAPER_SMP)


def size_multiple(name: str) -> int:
    """Tile height and width must be multiples of this many pixels for network ``name``."""
    return 8 if name == "unet" else 32


@dataclass
class TrainSettings:
    """Hyper-parameters; ``tile`` in px, ``learning_rate`` for Adam, ``weight_decay`` its L2 term,
    ``patience`` in validations without improvement, ``validate_every`` in iterations (0: per epoch)."""

    architecture: str = DEFAULT_ARCHITECTURE
    epochs: int = 10
    batch_size: int = 8
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 4
    validate_every: int = 0
    tile: int = DEFAULT_TILE
    class_weighting: str = "median"
    device: str = "auto"
    seed: int = 0
    mixed_precision: bool = True  # see steelseg_gui.core.nets.device.mixed_precision_dtype
    encoder_weights: str | None = None
    colour_jitter: bool = False

"""What a synthetic micrograph is made of; importing this module imports nothing heavy."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SynthSpec:
    """What to generate. Sizes in pixels, grain size (mean equivalent-circle diameter) in µm."""

    width: int = 2080
    height: int = 1542
    pearlite_fraction: float = 0.35
    grain_size_um: float = 15.0
    pixel_size_um: float = 0.25
    seed: int = 0

    @property
    def grain_size_px(self) -> float:
        return self.grain_size_um / self.pixel_size_um

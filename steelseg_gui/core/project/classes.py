"""The project's class table: label value → phase name and display colour.

Label value 0 always means "unlabelled"; classes use 1..K. A class keeps its value for life
(removing class 2 of 3 leaves 1 and 3), so saved label images never change meaning.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from steelseg_gui.core.errors import ProjectError

# Okabe–Ito colour-blind-safe palette, in the order new classes take them.
PALETTE = ("#56B4E9", "#D55E00", "#009E73", "#F0E442", "#0072B2", "#CC79A7", "#E69F00", "#000000")
DEFAULT_CLASSES = (("ferrite", "#56B4E9"), ("pearlite", "#D55E00"))
_HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
MAX_LABEL_VALUE = 65535


@dataclass
class PhaseClass:
    """One phase: its label value (1..K), name and colour as ``#RRGGBB``."""

    value: int
    name: str
    color: str

    def rgba(self) -> tuple[float, float, float, float]:
        """The colour as an RGBA tuple of floats in [0, 1]."""
        return tuple(int(self.color[i : i + 2], 16) / 255 for i in (1, 3, 5)) + (1.0,)


class ClassTable:
    """Ordered phase classes with unique values and names."""

    def __init__(self, classes: list[PhaseClass]):
        self._classes: list[PhaseClass] = []
        for phase in classes:
            self._insert(phase)

    @classmethod
    def default(cls) -> ClassTable:
        """1 ferrite, 2 pearlite."""
        return cls([PhaseClass(i + 1, name, color) for i, (name, color) in enumerate(DEFAULT_CLASSES)])

    @classmethod
    def from_names(cls, names: list[str]) -> ClassTable:
        """Classes 1..K named ``names``, coloured from the palette."""
        return cls([PhaseClass(i + 1, name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(names)])

    @classmethod
    def numbered(cls, present: set[int], first_names: tuple[str, ...] = ()) -> ClassTable:
        """Classes 1..K for the label values ``present`` in some masks (0 ignored), named
        ``first_names`` then ``class N``. The values must be 1..K without a gap, so that a stray
        value (a 255 in a ferrite/pearlite mask) cannot create hundreds of empty classes."""
        values = sorted(v for v in present if v != 0)
        if not values:
            raise ProjectError("the masks have no labelled pixel (all 0); nothing to learn from")
        gaps = sorted(set(range(1, values[-1] + 1)) - set(values))
        if values[0] < 0 or gaps:
            shown = ", ".join(map(str, values[:12])) + (" ..." if len(values) > 12 else "")
            raise ProjectError(
                f"the label values found ({shown}) are not the classes 1..K without gaps "
                f"({len(gaps)} values between are never used, e.g. {gaps[0] if gaps else values[0]}); "
                "fix the stray values in the masks, or name the classes with --classes"
            )
        names = [*first_names[: len(values)], *(f"class {v}" for v in values[len(first_names) :])]
        return cls.from_names(names)

    def __iter__(self):
        return iter(list(self._classes))

    def __len__(self) -> int:
        return len(self._classes)

    @property
    def values(self) -> list[int]:
        return [phase.value for phase in self._classes]

    @property
    def names(self) -> list[str]:
        return [phase.name for phase in self._classes]

    def get(self, value: int) -> PhaseClass:
        for phase in self._classes:
            if phase.value == value:
                return phase
        raise ProjectError(f"there is no class with label value {value}; classes are {self._describe()}")

    def name_of(self, value: int) -> str:
        """The class name for a label value, or ``class N`` when the table has no such value."""
        return next((p.name for p in self._classes if p.value == value), f"class {value}")

    def add(self, name: str, color: str | None = None) -> PhaseClass:
        """Append a class with the next free label value."""
        value = max(self.values, default=0) + 1
        color = color or PALETTE[len(self._classes) % len(PALETTE)]
        return self._insert(PhaseClass(value, name, color))

    def rename(self, value: int, name: str) -> None:
        name = _clean_name(name)
        if name in self.names and self.get(value).name != name:
            raise ProjectError(f"a class named '{name}' already exists")
        self.get(value).name = name

    def recolour(self, value: int, color: str) -> None:
        self.get(value).color = _check_colour(color)

    def remove(self, value: int) -> PhaseClass:
        """Remove a class from the table (the project checks its label files first)."""
        phase = self.get(value)
        self._classes.remove(phase)
        return phase

    def to_json(self) -> list[dict]:
        return [asdict(phase) for phase in self._classes]

    @classmethod
    def from_json(cls, items: list[dict]) -> ClassTable:
        try:
            return cls([PhaseClass(int(i["value"]), str(i["name"]), str(i["color"])) for i in items])
        except (KeyError, TypeError, ValueError) as exc:
            raise ProjectError(f"the class table is malformed ({exc})") from exc

    def _insert(self, phase: PhaseClass) -> PhaseClass:
        phase.name = _clean_name(phase.name)
        phase.color = _check_colour(phase.color)
        if not 1 <= phase.value <= MAX_LABEL_VALUE:
            raise ProjectError(f"class '{phase.name}': label value {phase.value} is outside 1..{MAX_LABEL_VALUE}")
        if phase.value in self.values:
            raise ProjectError(f"label value {phase.value} is used twice in the class table")
        if phase.name in self.names:
            raise ProjectError(f"a class named '{phase.name}' already exists")
        self._classes.append(phase)
        return phase

    def _describe(self) -> str:
        return ", ".join(f"{p.value} {p.name}" for p in self._classes) or "none"


def _clean_name(name: str) -> str:
    name = str(name).strip()
    if not name:
        raise ProjectError("a class name cannot be empty")
    return name


def _check_colour(color: str) -> str:
    if not _HEX_COLOUR.match(str(color)):
        raise ProjectError(f"colour '{color}' is not of the form #RRGGBB")
    return str(color).upper()

"""Argument types that check every number before any work starts, and a parser whose errors are
one line (``steelseg train: error: argument --lr: must be a finite number > 0, got -1``)."""

from __future__ import annotations

import argparse
import math
import sys


class OneLineParser(argparse.ArgumentParser):
    """An argument parser that reports a usage error on one line, then exits with code 2."""

    def error(self, message: str):
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def _number(text: str, kind: type) -> float | int:
    try:
        value = kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (a learning rate, a pixel size in µm/px, a grain size)."""
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number ≥ 0 (a weight decay)."""
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number ≥ 0, got {text}")
    return value


def fraction(text: str) -> float:
    """A number between 0 and 1 (an area fraction)."""
    value = _number(text, float)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def int_range(low: int, high: int):
    """An argument type for whole numbers in ``low..high``."""

    def parse(text: str) -> int:
        value = _number(text, int)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low:,} to {high:,}, got {text}")
        return value

    parse.__name__ = f"whole number {low}..{high}"
    return parse


positive_int = int_range(1, 1_000_000)
seed = int_range(0, 2**32 - 1)

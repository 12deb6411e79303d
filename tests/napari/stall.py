"""Measuring how long the Qt event loop is blocked."""

from __future__ import annotations

import time

from qtpy.QtCore import QTimer


class StallMonitor:
    """Longest gap between ticks of a 10 ms QTimer: how long the event loop was blocked."""

    def __init__(self):
        self.longest = 0.0
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self):
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now

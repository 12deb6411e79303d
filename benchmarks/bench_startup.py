"""Start-up: what a person waits for before SteelSeg answers.

1. ``steelseg --help``: wall time and peak memory over 5 runs (after one warm-up), beside
   ``python -c pass`` measured the same way in the same run (targets: median ≤ 0.3 s, ≤ 150 MB).
2. ``steelseg-gui PROJECT``: seconds from process start until the SteelSeg dock is docked with its
   buttons enabled and the project's image list filled (target ≤ 5 s), and whether torch,
   torchvision or segmentation-models-pytorch were imported by then (they must not be).
   Runs under Xvfb (napari's canvas needs OpenGL); skipped when no display can be had.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STEELSEG = Path(sys.executable).with_name("steelseg")
HELP_TARGET_S, HELP_TARGET_MB, GUI_TARGET_S = 0.3, 150.0, 5.0

# Measures one process from outside: wall seconds and peak resident memory of the child (VmHWM
# read from /proc just before it is reaped, which counts the child alone).
TIMER = r"""
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss / 1024)
"""

# steelseg-gui's own main(), with napari.run() replaced by a loop that stops once the dock is usable.
GUI_PROBE = r"""
import sys, time, psutil
born = psutil.Process().create_time()
import napari
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QApplication
from steelseg_gui import app

def ready():
    viewer = napari.current_viewer()
    if viewer is None:
        return None
    docks = [d.widget() for d in viewer.window._dock_widgets.values()]
    panel = next((w for w in docks if type(w).__name__ == "ProjectWidget"), None)
    if panel is None or not panel.isVisible() or not panel.add_button.isEnabled() or panel.image_list.count() == 0:
        return None
    return panel

def probe():
    if ready() is None:
        return
    elapsed = time.time() - born
    heavy = sorted(m for m in ("torch", "torchvision", "segmentation_models_pytorch", "timm") if m in sys.modules)
    print("READY", elapsed, ",".join(heavy), flush=True)
    QApplication.instance().quit()

def run_until_ready():
    timer = QTimer()
    timer.timeout.connect(probe)
    timer.start(20)
    run_napari()

run_napari, napari.run = napari.run, run_until_ready
sys.exit(app.main([sys.argv[1]]))
"""


def measure(command: list[str], runs: int) -> tuple[list[float], list[float]]:
    subprocess.run([sys.executable, "-c", TIMER, *command], check=True, capture_output=True)  # warm-up
    walls, peaks = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", TIMER, *command], check=True, capture_output=True, text=True)
        wall, peak = map(float, out.stdout.split())
        walls.append(wall)
        peaks.append(peak)
    return walls, peaks


def help_figures(runs: int) -> None:
    walls, peaks = measure([str(STEELSEG), "--help"], runs)
    base_walls, base_peaks = measure([sys.executable, "-c", "pass"], runs)
    print(f"== steelseg --help, {runs} runs (baseline: python -c pass, same run) ==")
    print(f"{'':24}{'median wall s':>14}{'max wall s':>12}{'median peak MB':>16}")
    print(f"{'steelseg --help':24}{statistics.median(walls):14.3f}{max(walls):12.3f}{statistics.median(peaks):16.1f}")
    print(
        f"{'python -c pass':24}{statistics.median(base_walls):14.3f}{max(base_walls):12.3f}"
        f"{statistics.median(base_peaks):16.1f}"
    )
    verdict = statistics.median(walls) <= HELP_TARGET_S and statistics.median(peaks) <= HELP_TARGET_MB
    print(f"target: median ≤ {HELP_TARGET_S} s and ≤ {HELP_TARGET_MB:.0f} MB -> {'met' if verdict else 'NOT met'}")


def demo_project(folder: Path) -> Path:
    from steelseg_gui.core.project.folder import Project
    from steelseg_gui.core.resources import bundled_samples

    project = Project.create(folder / "project")
    project.add_images([s.image for s in bundled_samples() if s.mask is None], copy=True)
    return project.folder


def gui_figures(runs: int) -> None:
    if shutil.which("xvfb-run") is None and not os.environ.get("DISPLAY"):
        print("== steelseg-gui: skipped (no display and no xvfb-run) ==")
        return
    with tempfile.TemporaryDirectory() as tmp:
        project = demo_project(Path(tmp))
        prefix = [] if os.environ.get("DISPLAY") else ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"]
        times, heavy = [], set()
        for run in range(runs + 1):
            out = subprocess.run(
                [*prefix, sys.executable, "-c", GUI_PROBE, str(project)], capture_output=True, text=True, timeout=300
            )
            line = next((ln for ln in out.stdout.splitlines() if ln.startswith("READY")), None)
            if line is None:
                print(out.stdout[-2000:], out.stderr[-2000:])
                raise SystemExit("steelseg-gui did not become ready")
            parts = line.split(" ")
            if run:  # the first run is a warm-up (disk cache, compiled kernels)
                times.append(float(parts[1]))
            heavy |= set(filter(None, parts[2].split(","))) if len(parts) > 2 else set()
    print(f"\n== steelseg-gui PROJECT to a usable dock, {runs} runs after a warm-up ==")
    print(
        f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s "
        f"(target ≤ {GUI_TARGET_S} s -> {'met' if statistics.median(times) <= GUI_TARGET_S else 'NOT met'})"
    )
    print(f"model libraries imported by then: {', '.join(sorted(heavy)) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    help_figures(args.runs)
    gui_figures(args.runs)


if __name__ == "__main__":
    main()

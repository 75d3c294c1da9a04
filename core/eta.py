"""Time left for a running job, from this run's own measured progress.

The old estimate, elapsed * (1 - p) / p, counted TensorFlow's start-up and the data
preparation as if they were training, so a 3-minute run on a busy machine read
"about 55.7 min left". Here the rate comes from the progress reports of this run
alone (training progress, after the data is ready), and there is no estimate until
two reports show progress.
"""

from __future__ import annotations

import time

WINDOW_S = 60.0  # the rate is measured over the last minute, so a machine that gets busier shows it


class ProgressClock:
    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []  # (time, progress 0..1), progress rising

    def add(self, progress: float, now: float | None = None) -> None:
        now = time.time() if now is None else now
        if not self.points or progress > self.points[-1][1]:
            self.points.append((now, progress))
            # Keep the first point and the recent ones: enough for the windowed rate.
            if len(self.points) > 200:
                del self.points[1:100]

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left, or None ("estimating") until two points show progress."""
        if len(self.points) < 2:
            return None
        t_last, p_last = self.points[-1]
        recent = [pt for pt in self.points if pt[0] >= t_last - WINDOW_S and pt[0] < t_last]
        t0, p0 = recent[0] if recent else self.points[-2]
        if t_last <= t0 or p_last <= p0:
            return None
        rate = (p_last - p0) / (t_last - t0)
        now = time.time() if now is None else now
        return max(0.0, (1.0 - p_last) / rate - (now - t_last))


def fmt_seconds(s: float | None) -> str:
    """'estimating' until there is an estimate; then seconds, or minutes past 90 s."""
    if s is None:
        return "estimating"
    return f"{s:.0f} s" if s < 90 else f"{s / 60:.1f} min"


def time_left_text(eta: float | None) -> str:
    return "time left: estimating" if eta is None else f"about {fmt_seconds(eta)} left"

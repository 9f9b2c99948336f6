"""Sampling the hub while it is under load (py-spy), and the summary the benchmark prints from the samples.

`python -m bench --profile DIR` records, for each scenario, the hub's first measured round as collapsed stacks
(`DIR/<scenario>.txt`, one line per distinct stack with its sample count; flamegraph.pl and speedscope read them)
and prints the frames that take the most time, by their own samples and by everything under them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

RATE = 200  # samples a second
TOP = 15
# Frames from here down to the first frame of one of these packages are the hub's (or its stack's) own work.
GROUPS = (
    ("hub/", "the hub's code"),
    ("strawberry/", "strawberry"),
    ("graphql/", "graphql-core"),
    ("sqlalchemy/", "SQLAlchemy"),
    ("asyncpg/", "asyncpg"),
    ("starlette/", "starlette"),
    ("uvicorn/", "uvicorn"),
    ("authlib/", "authlib"),
    ("joserfc/", "authlib"),
    ("asyncio/", "asyncio"),
)


def executable() -> str | None:
    """py-spy from PATH, or beside this Python (a virtual environment that is not activated)."""
    beside = Path(sys.executable).parent / "py-spy"
    return shutil.which("py-spy") or (str(beside) if beside.exists() else None)


def available() -> bool:
    return executable() is not None


def record(pid: int, seconds: float, output: Path) -> subprocess.Popen:
    """Start sampling `pid` and its worker processes for `seconds` into `output` (collapsed stacks); the caller
    waits for it."""
    command = [
        executable() or "py-spy",
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(seconds))),
        "--rate",
        str(RATE),
    ]
    command += ["--format", "raw", "--output", str(output), "--nonblocking", "--subprocesses"]  # every worker
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603  (our own arguments)


@dataclass
class Summary:
    samples: int
    own: list[tuple[str, int]]  # frame → samples where it was the innermost frame
    inclusive: list[tuple[str, int]]  # frame → samples where it was anywhere on the stack
    by_package: list[tuple[str, int]]  # package → samples whose innermost frame was in it

    def lines(self, title: str) -> list[str]:
        if not self.samples:
            return [f"{title}: no samples"]
        out = [f"{title}: {self.samples:,} samples"]
        share = lambda n: f"{100 * n / self.samples:5.1f}%"  # noqa: E731
        out.append("  by package (own time): " + ", ".join(f"{name} {share(n).strip()}" for name, n in self.by_package))
        out.append("  most own time:")
        out += [f"    {share(n)}  {frame}" for frame, n in self.own]
        out.append("  most time including callees (hub frames):")
        out += [f"    {share(n)}  {frame}" for frame, n in self.inclusive]
        return out


def summarise(path: Path, top: int = TOP) -> Summary:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines() if path.exists() else ():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame for frame in stack.split(";") if frame and not frame.startswith("process ")]
        if not frames or _idle(frames):
            continue
        total += count
        own[frames[-1]] += count
        packages[_package(frames[-1])] += count
        for frame in set(frames):
            if "(hub/" in frame or "/hub/" in frame:
                inclusive[frame] += count
    return Summary(total, own.most_common(top), inclusive.most_common(top), packages.most_common(8))


def _idle(frames: list[str]) -> bool:
    """The event loop waiting for work (select/epoll): not time the hub spent."""
    return frames[-1].startswith(("select (", "_run_once (", "poll (")) and "selectors" in frames[-1]


def _package(frame: str) -> str:
    for marker, name in GROUPS:
        if f"({marker}" in frame or f"/{marker}" in frame:
            return name
    return "other"

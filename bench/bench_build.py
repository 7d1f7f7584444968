"""Time `python -m builder build` on a synthetic corpus against a pyarrow JSON->Parquet floor."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.synthetic import write_corpus

RECORDS_PER_FILE = 100_000
CONFIG = """\
name = "bench-corpus"
version = "0.0.0"
license = "other"
description = "synthetic benchmark corpus"
"""
# ru_maxrss is KiB on Linux and bytes on macOS.
MAXRSS_UNIT = 1 if sys.platform == "darwin" else 1024
STDERR_TAIL = 20_000


@dataclass
class BuildRun:
    seconds: float
    returncode: int
    peak_rss: int  # bytes, largest single process (the build or a reaped worker)
    tree_rss: int | None  # bytes, largest sampled sum over the build's process tree
    stderr: str


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="synthetic records (default 100000)")
    parser.add_argument("--workers", type=int, default=None, help="passed on to the build")
    parser.add_argument("--keep", type=Path, default=None, help="work in DIR, keep raw/ and out/")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (medians)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeat < 1 or (args.workers is not None and args.workers < 1):
        parser.error("--n, --repeat and --workers must be at least 1")
    return args


@contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        yield Path(tmp)


def _prepare_raw(work: Path, n: int, seed: int) -> tuple[Path, dict[str, int]]:
    """Write the corpus, reusing one a kept DIR already holds for the same n and seed."""
    raw, manifest = work / "raw", work / "raw.json"
    wanted = {"n": n, "seed": seed}
    if manifest.exists() and raw.is_dir():
        saved = json.loads(manifest.read_text())
        if {k: saved.get(k) for k in wanted} == wanted:
            return raw, saved["stats"]
    shutil.rmtree(raw, ignore_errors=True)
    files = -(-n // RECORDS_PER_FILE)
    stats = write_corpus(raw, n, seed, files=files)
    manifest.write_text(json.dumps({**wanted, "stats": stats}))
    return raw, stats


def _descendants(ppid_of: dict[int, int], root: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for pid, ppid in ppid_of.items():
        kids.setdefault(ppid, []).append(pid)
    tree, frontier = [root], [root]
    while frontier:
        found = kids.get(frontier.pop(), [])
        tree += found
        frontier += found
    return tree


def _tree_rss_bytes(root: int) -> int | None:
    """Sum of resident memory over a process and its descendants, from /proc (Linux only)."""
    ppid_of: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for name in entries:
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue  # exited between listdir and read
        # The command name may contain spaces and parentheses; fields resume after the last ')'.
        ppid_of[int(name)] = int(stat.rsplit(")", 1)[1].split()[1])
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for pid in _descendants(ppid_of, root):
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        except OSError:
            continue
    return total


class _TreeSampler(threading.Thread):
    """Polls the build's process tree, since ru_maxrss never adds up concurrent workers."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak: int | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            rss = _tree_rss_bytes(self.pid)
            if rss is not None:
                self.peak = max(self.peak or 0, rss)
            self._halt.wait(self.interval)

    def stop(self) -> int | None:
        self._halt.set()
        self.join()
        return self.peak


def _build_once(cmd: list[str], work: Path) -> BuildRun:
    """Run the build and read its own rusage with wait4, so no other child can inflate it."""
    with open(work / "build.stdout", "wb") as out, open(work / "build.stderr", "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        sampler = _TreeSampler(proc.pid) if sys.platform.startswith("linux") else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped already; keep Popen from waiting
    return BuildRun(
        seconds=seconds,
        returncode=proc.returncode,
        peak_rss=usage.ru_maxrss * MAXRSS_UNIT,
        tree_rss=sampler.stop() if sampler else None,
        stderr=(work / "build.stderr").read_text(errors="replace")[-STDERR_TAIL:],
    )


def _build_cmd(raw: Path, out: Path, config: Path, workers: int | None) -> list[str]:
    cmd = [sys.executable, "-m", "builder", "build", "--raw", str(raw), "--out", str(out),
           "--config", str(config), "--quiet"]
    return cmd + (["--workers", str(workers)] if workers is not None else [])


def _floor_once(raw: Path, scratch: Path) -> float:
    """Seconds for pyarrow alone to read every JSONL file and write it back as Parquet."""
    import pyarrow.json as pajson
    import pyarrow.parquet as pq

    scratch.mkdir(parents=True, exist_ok=True)
    total = 0.0
    for path in sorted(raw.glob("*.jsonl")):
        start = time.perf_counter()
        table = pajson.read_json(path)
        pq.write_table(table, scratch / f"{path.stem}.parquet")
        total += time.perf_counter() - start
        del table
    shutil.rmtree(scratch, ignore_errors=True)
    return total


def _mib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:.1f}"


def _report(
    n: int, raw_bytes: int, workers: int | None, builds: list[BuildRun], floors: list[float]
) -> None:
    build_s = statistics.median(b.seconds for b in builds)
    floor_s = statistics.median(floors)
    trees = [b.tree_rss for b in builds if b.tree_rss is not None]
    rows = [
        ("N", f"{n}"),
        ("raw MiB", _mib(raw_bytes)),
        ("build seconds", f"{build_s:.2f}"),
        ("build articles/s", f"{n / build_s:,.0f}"),
        ("floor seconds", f"{floor_s:.2f}"),
        ("floor articles/s", f"{n / floor_s:,.0f}"),
        ("build/floor throughput", f"{floor_s / build_s:.3f}"),
        ("peak RSS MiB", _mib(max(b.peak_rss for b in builds))),
        ("peak tree RSS MiB", _mib(max(trees) if trees else None)),
        ("workers", "default" if workers is None else str(workers)),
        ("cores", str(os.cpu_count())),
        ("repeats", str(len(builds))),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value:>12}")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    with _workdir(args.keep) as work:
        raw, stats = _prepare_raw(work, args.n, args.seed)
        config = work / "bench-corpus.toml"
        config.write_text(CONFIG)
        out = work / "out"
        cmd = _build_cmd(raw, out, config, args.workers)

        builds: list[BuildRun] = []
        for _ in range(args.repeat):
            shutil.rmtree(out, ignore_errors=True)  # every run starts from an absent release dir
            run = _build_once(cmd, work)
            if run.returncode != 0:
                print(f"build failed (exit {run.returncode}): {' '.join(cmd)}", file=sys.stderr)
                print(run.stderr, file=sys.stderr, end="")
                return 1
            builds.append(run)

        floors = [_floor_once(raw, work / "floor") for _ in range(args.repeat)]
        _report(args.n, stats["bytes"], args.workers, builds, floors)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time `python -m builder build` on synthetic corpora against a pyarrow JSON->Parquet floor."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.synthetic import make_article, write_corpus

RECORDS_PER_FILE = 100_000
DELTA_FRACTION = 0.01  # new records added for the incremental rebuild
DELTA_FILE = "part-delta.jsonl"
DASK_WORKERS = 2
CONFIG = """\
name = "bench-corpus"
version = "0.0.0"
license = "other"
description = "synthetic benchmark corpus"
"""
# ru_maxrss is KiB on Linux and bytes on macOS.
MAXRSS_UNIT = 1 if sys.platform == "darwin" else 1024
STDERR_TAIL = 20_000
_CHUNK = 1 << 20


@dataclass
class BuildRun:
    seconds: float
    returncode: int
    peak_rss: int  # bytes, largest single process (the build or a reaped worker)
    tree_rss: int | None  # bytes, largest sampled sum over the build's process tree
    stderr: str


class BuildFailed(Exception):
    def __init__(self, cmd: list[str], run: BuildRun) -> None:
        super().__init__(f"build failed (exit {run.returncode}): {' '.join(cmd)}")
        self.run = run


@dataclass
class Corpus:
    raw: Path
    records: int
    bytes: int


@dataclass
class Rebuilds:
    """One changed corpus, per repeat: rebuilt with the filled --cache, and built without."""

    cached: list[BuildRun] = field(default_factory=list)
    clean: list[BuildRun] = field(default_factory=list)
    identical: str = "yes"  # cached vs clean release, every file's bytes, in every run


@dataclass
class Incremental:
    added: int
    fills: list[BuildRun] = field(default_factory=list)  # first build with an empty --cache
    grown: Rebuilds = field(default_factory=Rebuilds)  # + a new file of `added` records
    # --appended: as many other new records appended to the last raw file
    appended: Rebuilds = field(default_factory=Rebuilds)
    # --reordered: every raw file's lines in reverse order, plus the new file
    reordered: Rebuilds = field(default_factory=Rebuilds)


@dataclass
class DaskRun:
    runs: list[BuildRun]
    identical: str  # dask vs local release of the same size


@dataclass
class SizeResult:
    corpus: Corpus
    builds: list[BuildRun]
    floors: list[float]
    incremental: Incremental | None = None
    dask: DaskRun | None = None


@dataclass
class Bench:
    work: Path
    config: Path
    workers: int | None
    repeat: int
    seed: int

    def build(self, raw: Path, out: Path, *, cache: Path | None = None,
              extra: tuple[str, ...] = ()) -> BuildRun:
        """One build into an absent `out`; BuildFailed if it exits non-zero."""
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, "-m", "builder", "build", "--raw", str(raw), "--out", str(out),
               "--config", str(self.config), "--quiet"]
        if self.workers is not None and "--workers" not in extra:
            cmd += ["--workers", str(self.workers)]
        if cache is not None:
            cmd += ["--cache", str(cache)]
        run = _build_once(cmd + list(extra), self.work)
        if run.returncode != 0:
            raise BuildFailed(cmd + list(extra), run)
        return run


# --------------------------------------------------------------------------- arguments


def _size(text: str) -> int:
    """A record count: 100000, 100_000, 100k or 1M."""
    text = text.strip().replace("_", "").lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    value = float(text[:-1]) * scale if scale > 1 else int(text)
    if value != int(value) or value < 1:
        raise argparse.ArgumentTypeError(f"not a positive record count: {text!r}")
    return int(value)


def _sizes(text: str) -> list[int]:
    return sorted({_size(part) for part in text.split(",") if part.strip()})


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    add = parser.add_argument
    add("--n", type=_size, default=100_000, help="synthetic records (default 100000)")
    add("--sizes", type=_sizes, default=None,
        help="comma-separated record counts, e.g. 100000,1000000 or 100k,1M (default: --n)")
    add("--workers", type=int, default=None, help="passed on to the local builds")
    add("--incremental", action="store_true",
        help=f"per size: cache-filling build, +{DELTA_FRACTION * 100:g}%% records rebuilt with "
             "the cache, and a clean build of the grown corpus")
    add("--appended", action="store_true",
        help="with --incremental: also as many new records appended to the last raw file, rebuilt "
             "with the same cache, and a clean build of that corpus")
    add("--reordered", action="store_true",
        help="with --incremental: also every raw file's lines reversed plus the new file, rebuilt "
             "with the same cache (all old records from the per-record cache), and a clean build")
    add("--dask", action="store_true",
        help=f"also build the smallest size with --engine dask --workers {DASK_WORKERS}")
    add("--keep", type=Path, default=None, metavar="DIR", help="work in DIR, keep raw corpora and releases")
    add("--repeat", type=int, default=1, help="runs per measurement (medians)")
    add("--seed", type=int, default=0, help="generator seed")
    args = parser.parse_args(argv)
    args.sizes = args.sizes or [args.n]
    if (args.appended or args.reordered) and not args.incremental:
        parser.error("--appended and --reordered go with --incremental")
    if args.repeat < 1 or (args.workers is not None and args.workers < 1):
        parser.error("--repeat and --workers must be at least 1")
    return args


# --------------------------------------------------------------------------- corpora


@contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        yield Path(tmp)


def _cached_corpus(raw: Path, wanted: dict[str, int],
                   write: Callable[[Path], dict[str, int]]) -> tuple[Corpus, bool]:
    """The corpus in `raw` and whether it was reused: kept if its manifest matches `wanted`."""
    manifest = raw.with_suffix(".json")
    if manifest.exists() and raw.is_dir():
        saved = json.loads(manifest.read_text())
        if {k: saved.get(k) for k in wanted} == wanted:
            stats = saved["stats"]
            return Corpus(raw, stats["good"], stats["bytes"]), True
    shutil.rmtree(raw, ignore_errors=True)
    stats = write(raw)
    manifest.write_text(json.dumps({**wanted, "stats": stats}))
    return Corpus(raw, stats["good"], stats["bytes"]), False


def _prepare_raw(home: Path, n: int, seed: int) -> tuple[Corpus, bool]:
    """Stream n records to home/raw, or reuse what a kept DIR already holds for n and seed."""
    files = -(-n // RECORDS_PER_FILE)
    return _cached_corpus(home / "raw", {"n": n, "seed": seed},
                          lambda raw: write_corpus(raw, n, seed, files=files))


def _write_grown(base: Corpus, grown: Path, added: int, seed: int) -> dict[str, int]:
    """Hard links to the base files, plus one new file of `added` records unlike any base one."""
    grown.mkdir(parents=True)
    for path in sorted(base.raw.iterdir()):
        try:
            os.link(path, grown / path.name)
        except OSError:
            shutil.copy2(path, grown / path.name)
    rng = random.Random(f"delta-{seed}")
    size = 0
    with open(grown / DELTA_FILE, "wb", buffering=_CHUNK) as fh:
        # Ids past the corpus give new urls and texts; the seed differs from the base one's.
        for i in range(base.records, base.records + added):
            line = json.dumps(make_article(rng, i), ensure_ascii=False).encode("utf-8") + b"\n"
            fh.write(line)
            size += len(line)
    return {"good": base.records + added, "bad": 0, "bytes": base.bytes + size}


def _write_appended(base: Corpus, target: Path, added: int, seed: int) -> dict[str, int]:
    """Hard links to the base files but the last, which is copied and has `added` new records
    appended (another seed than the new file's, so the cache has seen none of them)."""
    target.mkdir(parents=True)
    files = sorted(base.raw.iterdir())
    for path in files[:-1]:
        try:
            os.link(path, target / path.name)
        except OSError:
            shutil.copy2(path, target / path.name)
    shutil.copy2(files[-1], target / files[-1].name)
    rng = random.Random(f"append-{seed}")
    size = 0
    with open(target / files[-1].name, "ab", buffering=_CHUNK) as fh:
        for i in range(base.records + added, base.records + 2 * added):
            line = json.dumps(make_article(rng, i), ensure_ascii=False).encode("utf-8") + b"\n"
            fh.write(line)
            size += len(line)
    return {"good": base.records + added, "bad": 0, "bytes": base.bytes + size}


def _write_reordered(base: Corpus, grown: Corpus, target: Path) -> dict[str, int]:
    """The grown corpus with every base file's lines in reverse order: no file is a version the
    cache has seen, so every old record must come from the per-record cache."""
    target.mkdir(parents=True)
    for path in sorted(base.raw.iterdir()):
        with open(path, "rb") as fh:
            lines = fh.read().splitlines(keepends=True)
        with open(target / path.name, "wb", buffering=_CHUNK) as fh:
            fh.writelines(reversed(lines))
    shutil.copy2(grown.raw / DELTA_FILE, target / DELTA_FILE)
    return {"good": grown.records, "bad": 0, "bytes": grown.bytes}


def _prepare_reordered(home: Path, base: Corpus, grown: Corpus, base_reused: bool, seed: int, added: int) -> Corpus:
    target = home / "reordered"
    if not base_reused:
        shutil.rmtree(target, ignore_errors=True)
        target.with_suffix(".json").unlink(missing_ok=True)
    corpus, _ = _cached_corpus(target, {"n": base.records, "seed": seed, "reordered": added},
                               lambda path: _write_reordered(base, grown, path))
    return corpus


def _prepare_appended(home: Path, base: Corpus, base_reused: bool, seed: int, added: int) -> Corpus:
    target = home / "appended"
    if not base_reused:
        shutil.rmtree(target, ignore_errors=True)
        target.with_suffix(".json").unlink(missing_ok=True)
    corpus, _ = _cached_corpus(target, {"n": base.records, "seed": seed, "appended": added},
                               lambda path: _write_appended(base, path, added, seed))
    return corpus


def _prepare_grown(home: Path, base: Corpus, base_reused: bool, seed: int) -> tuple[Corpus, int]:
    added = max(1, round(base.records * DELTA_FRACTION))
    grown = home / "grown"
    if not base_reused:  # links into a rewritten base would be stale
        shutil.rmtree(grown, ignore_errors=True)
        grown.with_suffix(".json").unlink(missing_ok=True)
    corpus, _ = _cached_corpus(grown, {"n": base.records, "seed": seed, "added": added},
                               lambda path: _write_grown(base, path, added, seed))
    return corpus, added


# --------------------------------------------------------------------------- measuring


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


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _same_file(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            block = fa.read(_CHUNK)
            if block != fb.read(_CHUNK):
                return False
            if not block:
                return True


def _same_release(a: Path, b: Path) -> str:
    """'yes' if both directories hold the same files with the same bytes, else 'no (why)'."""
    names_a, names_b = _files(a), _files(b)
    if names_a != names_b:
        return f"no ({min(set(names_a) ^ set(names_b))} in one only)"
    for name in names_a:
        if not _same_file(a / name, b / name):
            return f"no ({name} differs)"
    return "yes"


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _source_digest() -> str:
    """Hash of the builder package, to notice sources edited while the benchmark runs."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "builder").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _measure_size(bench: Bench, n: int, incremental: bool, dask: bool, appended: bool = False,
                  reordered: bool = False) -> SizeResult:
    home = bench.work / f"n{n}"
    home.mkdir(parents=True, exist_ok=True)
    _log(f"{_label(n)}: preparing corpus")
    corpus, reused = _prepare_raw(home, n, bench.seed)
    builds: list[BuildRun] = []
    for k in range(bench.repeat):
        _log(f"{_label(n)}: build {k + 1}/{bench.repeat}")
        builds.append(bench.build(corpus.raw, home / "out"))
    dask_run = _measure_dask(bench, home, corpus) if dask else None  # right after out/, to compare
    _log(f"{_label(n)}: floor x{bench.repeat}")
    floors = [_floor_once(corpus.raw, home / "floor") for _ in range(bench.repeat)]
    result = SizeResult(corpus, builds, floors, dask=dask_run)
    if incremental:
        result.incremental = _measure_incremental(bench, home, corpus, reused, appended, reordered)
    return result


def _measure_incremental(bench: Bench, home: Path, base: Corpus, base_reused: bool,
                         appended: bool = False, reordered: bool = False) -> Incremental:
    grown, added = _prepare_grown(home, base, base_reused, bench.seed)
    longer = _prepare_appended(home, base, base_reused, bench.seed, added) if appended else None
    shuffled = _prepare_reordered(home, base, grown, base_reused, bench.seed, added) if reordered else None
    inc = Incremental(added)
    cache, label = home / "cache", _label(base.records)
    for k in range(bench.repeat):
        shutil.rmtree(cache, ignore_errors=True)
        _log(f"{label}: incremental {k + 1}/{bench.repeat}: cache-filling build")
        inc.fills.append(bench.build(base.raw, home / "out-fill", cache=cache))
        step = f"{label}: incremental {k + 1}/{bench.repeat}"
        _cached_and_clean(bench, grown.raw, home, cache, "", f"{step}: +{added} records", inc.grown)
        if longer is not None:
            _cached_and_clean(bench, longer.raw, home, cache, "app-", f"{step}: +{added} records appended",
                              inc.appended)
        if shuffled is not None:
            _cached_and_clean(bench, shuffled.raw, home, cache, "rev-", f"{step}: every file reordered, +{added} records",
                              inc.reordered)
    for name in ("out-fill", "out-cached", "out-clean", "out-app-cached", "out-app-clean", "out-rev-cached",
                 "out-rev-clean", "cache"):
        shutil.rmtree(home / name, ignore_errors=True)  # large at 1M; the plain out/ is kept
    return inc


def _cached_and_clean(bench: Bench, raw: Path, home: Path, cache: Path, prefix: str, step: str,
                      case: Rebuilds) -> None:
    """Build `raw` with the cache and without, into home/out-{prefix}cached and -clean; add the
    runs, and whether the two releases are the same bytes, to `case`."""
    _log(f"{step}, cached rebuild")
    case.cached.append(bench.build(raw, home / f"out-{prefix}cached", cache=cache))
    _log(f"{step}, clean build")
    case.clean.append(bench.build(raw, home / f"out-{prefix}clean"))
    same = _same_release(home / f"out-{prefix}cached", home / f"out-{prefix}clean")
    if case.identical == "yes":
        case.identical = same
    for name in (f"out-{prefix}cached", f"out-{prefix}clean"):
        shutil.rmtree(home / name, ignore_errors=True)


def _measure_dask(bench: Bench, home: Path, corpus: Corpus) -> DaskRun:
    runs: list[BuildRun] = []
    identical = "yes"
    extra = ("--engine", "dask", "--workers", str(DASK_WORKERS))
    for k in range(bench.repeat):
        _log(f"{_label(corpus.records)}: dask build {k + 1}/{bench.repeat}")
        runs.append(bench.build(corpus.raw, home / "out-dask", extra=extra))
        same = _same_release(home / "out-dask", home / "out")
        if identical == "yes":
            identical = same
    shutil.rmtree(home / "out-dask", ignore_errors=True)
    return DaskRun(runs, identical)


# --------------------------------------------------------------------------- reporting


def _label(n: int) -> str:
    for unit, scale in (("M", 1_000_000), ("k", 1_000)):
        if n >= scale and n % (scale // 10) == 0:
            return f"{n / scale:g}{unit}"
    return str(n)


def _mib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:.1f}"


def _secs(runs: list[BuildRun]) -> float:
    return statistics.median(r.seconds for r in runs)


def _tree_peak(runs: list[BuildRun]) -> int | None:
    trees = [r.tree_rss for r in runs if r.tree_rss is not None]
    return max(trees) if trees else None


def _table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for line in [headers, *rows]:
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def _size_rows(results: list[SizeResult]) -> list[list[str]]:
    rows = []
    for r in results:
        n, build_s, floor_s = r.corpus.records, _secs(r.builds), statistics.median(r.floors)
        rows.append([_label(n), _mib(r.corpus.bytes), f"{build_s:.2f}", f"{n / build_s:,.0f}",
                     f"{floor_s:.2f}", f"{n / floor_s:,.0f}", f"{floor_s / build_s:.3f}",
                     _mib(max(b.peak_rss for b in r.builds)), _mib(_tree_peak(r.builds))])
    return rows


def _growth(results: list[SizeResult]) -> str:
    small, large = results[0], results[-1]
    times = _secs(large.builds) / _secs(small.builds)
    floors = statistics.median(large.floors) / statistics.median(small.floors)
    records = large.corpus.records / small.corpus.records
    span = f"{_label(small.corpus.records)}→{_label(large.corpus.records)}"
    line = (f"{span} ({records:.1f}× records): build time grows {times:.1f}×, "
            f"floor time {floors:.1f}×")
    if small.incremental and large.incremental:
        incr = _secs(large.incremental.grown.cached) / _secs(small.incremental.grown.cached)
        line += f", cached rebuild time {incr:.1f}×"
    trees = _tree_peak(large.builds), _tree_peak(small.builds)
    if None not in trees:
        line += f", peak tree RSS {trees[0] / trees[1]:.1f}×"
    return line


def _incremental_rows(results: list[SizeResult]) -> list[list[str]]:
    rows = []
    for r in results:
        inc = r.incremental
        assert inc is not None
        fill, rebuild, clean = _secs(inc.fills), _secs(inc.grown.cached), _secs(inc.grown.clean)
        rows.append([_label(r.corpus.records), f"+{inc.added}", f"{fill:.2f}",
                     f"{fill / _secs(r.builds):.2f}", f"{rebuild:.2f}", f"{clean:.2f}",
                     f"{rebuild / clean:.3f}", inc.grown.identical])
    return rows


def _case_rows(results: list[SizeResult], case: Callable[[Incremental], Rebuilds]) -> list[list[str]]:
    """Rows of the `appended` or `reordered` table."""
    rows = []
    for r in results:
        assert r.incremental is not None
        runs = case(r.incremental)
        rebuild, clean = _secs(runs.cached), _secs(runs.clean)
        rows.append([_label(r.corpus.records), f"+{r.incremental.added}", f"{rebuild:.2f}", f"{clean:.2f}",
                     f"{rebuild / clean:.3f}", runs.identical])
    return rows


def _report(results: list[SizeResult], args: argparse.Namespace) -> None:
    workers = "default (all cores)" if args.workers is None else str(args.workers)
    repeats = f"{args.repeat}, medians shown" if args.repeat > 1 else "1"
    print(f"cores (os.cpu_count): {os.cpu_count()}   local --workers: {workers}   "
          f"repeats: {repeats}   seed: {args.seed}")
    print()
    _table(["size", "raw MiB", "build s", "build art/s", "floor s", "floor art/s",
            "build/floor", "peak RSS MiB", "tree RSS MiB"], _size_rows(results))
    if len(results) > 1:
        print()
        print("growth " + _growth(results))
    if args.incremental:
        print()
        print(f"incremental: cache-filling build, then +{DELTA_FRACTION:.0%} new records in a new "
              "file rebuilt with that cache, vs a clean build of the grown corpus")
        _table(["size", "added", "fill s", "fill/build", "cached s", "clean s", "cached/clean",
                "identical"], _incremental_rows(results))
        if args.appended:
            print()
            print("appended: as many other new records appended to the last raw file, rebuilt with the "
                  "same cache, vs a clean build of that corpus")
            _table(["size", "added", "cached s", "clean s", "cached/clean", "identical"], _case_rows(results, lambda inc: inc.appended))
        if args.reordered:
            print()
            print("reordered: every raw file's lines in reverse order, plus the new file, rebuilt with the "
                  "same cache (every old record from the per-record cache), vs a clean build of that corpus")
            _table(["size", "added", "cached s", "clean s", "cached/clean", "identical"], _case_rows(results, lambda inc: inc.reordered))
    dask = results[0].dask
    if dask is not None:
        local, remote = _secs(results[0].builds), _secs(dask.runs)
        print()
        print(f"dask: --engine dask --workers {DASK_WORKERS} vs local --workers {workers}")
        _table(["size", "local s", "dask s", "dask/local", "tree RSS MiB", "identical"],
               [[_label(results[0].corpus.records), f"{local:.2f}", f"{remote:.2f}",
                 f"{remote / local:.2f}", _mib(_tree_peak(dask.runs)), dask.identical]])


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    with _workdir(args.keep) as work:
        config = work / "bench-corpus.toml"
        config.write_text(CONFIG)
        bench = Bench(work, config, args.workers, args.repeat, args.seed)
        results: list[SizeResult] = []
        source = _source_digest()
        try:
            for n in args.sizes:
                dask = args.dask and n == args.sizes[0]
                results.append(_measure_size(bench, n, args.incremental, dask, args.appended, args.reordered))
        except BuildFailed as exc:
            print(exc, file=sys.stderr)
            print(exc.run.stderr, file=sys.stderr, end="")
            return 1
        _report(results, args)
        if _source_digest() != source:
            print("\nWARNING: builder/ changed during the run; timings and byte comparisons "
                  "may mix versions", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How fast could any CPython per-record stage be, against the pyarrow JSON->Parquet floor?

Times, in this process and on one core, over the same synthetic records:

- floor: `pyarrow.json.read_json` + `pyarrow.parquet.write_table` of the JSONL file (pyarrow
  uses every core for this), as in bench_build.py;
- the least per-record work a normalizing builder written in Python must do: `json.loads`
  of each line, then also one regular-expression scan over the body, then also two SHA-256
  hashes and an Arrow row;
- the builder's own per-record stage (`engine.process_chunk`: validate, normalize, MinHash
  signature, Arrow batch), in one process.

Each per-record time is turned into the most articles per second that all cores could reach
if that were the whole build (perfect scaling, nothing else), and into a fraction of the floor.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_build import _floor_once
from tests.synthetic import write_corpus

# A scan that rarely matches: the cheapest pass over a body a text normalizer can make.
_SCAN = re.compile(r"[ \t]{2,}|\u00a0")


def _median_us(work: Callable[[], object], records: int, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        runs.append((time.perf_counter() - start) / records * 1e6)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="synthetic records (default 20000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (medians)")
    args = parser.parse_args(argv)

    import pyarrow as pa

    from builder import read
    from builder.engine import StageConfig, process_chunk

    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="python-ceiling-") as tmp:
        raw = Path(tmp) / "raw"
        write_corpus(raw, args.n, seed=0)
        lines = (raw / "part-00000.jsonl").read_bytes().splitlines()
        floor = statistics.median(_floor_once(raw, Path(tmp) / "floor") for _ in range(args.repeat))
        units = list(read.read_units(raw, 10_000_000))

    def decode() -> object:
        return [json.loads(line) for line in lines]

    def decode_scan() -> object:
        return [_SCAN.sub(" ", json.loads(line)["text"]) for line in lines]

    def decode_scan_row() -> object:
        rows = []
        for line in lines:
            record = json.loads(line)
            text = _SCAN.sub(" ", record["text"])
            rows.append({"id": hashlib.sha256(line).hexdigest(), "url": record.get("url"), "text": text,
                         "body": hashlib.sha256(text.encode()).hexdigest()})
        return pa.RecordBatch.from_pylist(rows)

    config = StageConfig()
    process_chunk(units[:200], config)  # compiled patterns and caches, as a warm worker has them

    def stage() -> object:
        return [process_chunk(units[i : i + 500], config) for i in range(0, len(units), 500)]

    floor_rate = args.n / floor
    print(f"cores (os.cpu_count): {cores}   records: {args.n:,}   repeats: {args.repeat}, medians shown")
    print(f"floor (read_json + write_table): {floor:.2f} s = {floor_rate:,.0f} articles/s; half of it: "
          f"{floor_rate / 2:,.0f}/s, i.e. {cores / (floor_rate / 2) * 1e6:.0f} us per article per core\n")
    print(f"{'per-record work, one core':44} {'us/article':>10} {'ceiling art/s':>14} {'ceiling/floor':>14}")
    for label, work in [("json.loads", decode), ("+ one regex scan of the body", decode_scan),
                        ("+ two SHA-256 and an Arrow row", decode_scan_row),
                        ("builder per-record stage (process_chunk)", stage)]:
        us = _median_us(work, len(lines) if work is not stage else len(units), args.repeat)
        ceiling = cores * 1e6 / us
        print(f"{label:44} {us:10.1f} {ceiling:14,.0f} {ceiling / floor_rate:14.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The staging area: rows come back by bucket, whole, however they were batched."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from builder import stage
from builder.engine import StageConfig, process_chunk
from builder.records import RawUnit
from tests.synthetic import make_article


def _batches(n: int, size: int) -> list[pa.RecordBatch]:
    import json

    rng = random.Random(3)
    units = [RawUnit(source="a.jsonl", line=i + 1, data=json.dumps(make_article(rng, i)).encode()) for i in range(n)]
    return [process_chunk(units[i:i + size], StageConfig())[0] for i in range(0, n, size)]


def test_rows_held_back_for_larger_writes_all_come_back_in_their_buckets(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(stage, "FLUSH_ROWS", 7)  # some buckets flush mid-way, others only at close
    batches = _batches(300, 23)
    area = stage.StagingArea(tmp_path / "s")
    for batch in batches:
        area.add(batch)
    assert area._pending  # rows are held back: the test covers the flush at close
    held = set(area._pending)
    assert held <= set(area.buckets)
    area.close()
    assert not area._pending
    seen: list[str] = []
    for bucket in area.buckets:
        table = area.read(bucket)
        assert set(stage.buckets_of(table.column("id").combine_chunks()).to_pylist()) == {bucket}
        seen += table.column("id").to_pylist()
    everything = pa.Table.from_batches(batches)
    assert sorted(seen) == sorted(everything.column("id").to_pylist())
    again = pa.concat_tables([area.read(b) for b in area.buckets])
    order = pc.sort_indices(again, [("id", "ascending")])
    assert again.take(order).equals(everything.take(pc.sort_indices(everything, [("id", "ascending")])))


def test_a_large_row_is_written_without_waiting_for_more(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(stage, "FLUSH_BYTES", 1)
    area = stage.StagingArea(tmp_path / "s")
    area.add(_batches(5, 5)[0])
    assert not area._pending
    area.close()

"""Builds of small corpora: three splits, quarantine that reconciles, identical bytes on rebuild."""

from __future__ import annotations

import json
import random
import shutil
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from builder import write
from builder.config import load_config
from builder.pipeline import BuildError, build
from builder.split import SplitConfig, assign_split
from tests.conftest import copy_seed, release_bytes, write_jsonl
from tests.synthetic import make_article, make_bad_records, write_corpus


def _build(raw: Path, out: Path, config_file: Path, **kw):
    return build(raw, out, load_config(config_file), **kw)


def test_few_dozen_records_give_three_splits(tmp_path: Path, config_file: Path) -> None:
    write_corpus(tmp_path / "raw", 48, seed=1)
    result = _build(tmp_path / "raw", tmp_path / "out", config_file)
    assert result.counts == {"read": 48, "published": 48, "quarantined": 0, "duplicates": 0, "takedowns": 0}
    assert all(result.splits[s] > 0 for s in ("train", "validation", "test"))
    assert sum(result.splits.values()) == 48

    from datasets import load_dataset

    ds = load_dataset(str(tmp_path / "out"))
    assert sorted(ds) == ["test", "train", "validation"]
    assert {s: ds[s].num_rows for s in ds} == result.splits
    salt = SplitConfig()
    for split in ds:
        for record in ds[split]:
            assert assign_split(record["cluster_id"], salt) == split
    ids = [r for s in ds for r in ds[s]["id"]]
    assert len(set(ids)) == 48


def test_quarantine_reconciles(tmp_path: Path, config_file: Path) -> None:
    rng = random.Random(5)
    good = [make_article(rng, i) for i in range(20)]
    bad = make_bad_records(random.Random(9))
    lines: list[dict | bytes] = []
    for i, record in enumerate(good):
        lines.append(record)
        if i < len(bad):
            lines.append(bad[i][0])
    write_jsonl(tmp_path / "raw" / "mixed.jsonl", lines)
    (tmp_path / "raw" / "empty.jsonl").write_bytes(b"")
    (tmp_path / "raw" / "notes.csv").write_text("a,b\n")
    copy_seed(tmp_path / "raw")
    result = _build(tmp_path / "raw", tmp_path / "out", config_file)

    n_bad = min(len(bad), len(good))
    c = result.counts
    assert c["read"] == c["published"] + c["quarantined"] + c["duplicates"]
    assert c["published"] == 21
    assert c["quarantined"] == n_bad + 2  # the bad lines, the empty file, the unsupported file
    entries = [json.loads(l) for l in (tmp_path / "out" / "quarantine.jsonl").read_text().splitlines()]
    assert len(entries) == c["quarantined"]
    by_line = {(e["file"], e["line"]): e for e in entries}
    # The bad line after good record i sits on line 2i+2.
    for i in range(n_bad):
        entry = by_line[("mixed.jsonl", 2 * i + 2)]
        assert entry["reason"] == bad[i][1]
        assert set(entry) == {"file", "line", "record_id", "pointer", "reason", "message"}
    assert by_line[("empty.jsonl", 0)]["reason"] == "empty_file"
    assert by_line[("notes.csv", 0)]["reason"] == "unsupported_file_type"
    manifest = json.loads((tmp_path / "out" / "MANIFEST.json").read_text())
    assert manifest["counts"] == c
    published = pq.read_table(tmp_path / "out" / "data").num_rows
    assert published == 21


def test_strict_exit_code(tmp_path: Path, config_file: Path) -> None:
    from builder.cli import main

    write_jsonl(tmp_path / "raw" / "a.jsonl", [{"text": "Body.", "outlet": "X"}, b"{oops"])
    args = ["build", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "out"), "--config", str(config_file), "--quiet"]
    assert main(args) == 0
    assert main([*args, "--strict"]) == 1
    assert main(["build", "--raw", str(tmp_path / "nope"), "--out", str(tmp_path / "o2"), "--config", str(config_file)]) == 2


def test_duplicates_are_merged_and_listed(tmp_path: Path, config_file: Path) -> None:
    a = {"text": "Same story body.", "outlet": "Reuters", "url": "https://www.reuters.com/world/a/?utm_source=x",
         "retrieved_at": "2024-01-02T00:00:00Z"}
    b = {**a, "url": "https://reuters.com/world/a", "retrieved_at": "2024-01-01T00:00:00Z"}
    c = {"text": "Same story body.", "outlet": "Reuters"}  # no URL, same body
    write_jsonl(tmp_path / "raw" / "d.jsonl", [a, b, c])
    result = _build(tmp_path / "raw", tmp_path / "out", config_file)
    assert result.counts == {"read": 3, "published": 1, "quarantined": 0, "duplicates": 2, "takedowns": 0}
    (row,) = pq.read_table(tmp_path / "out" / "data").to_pylist()
    assert row["url"] == b["url"]  # the earliest capture is kept
    dups = [json.loads(l) for l in (tmp_path / "out" / "duplicates.jsonl").read_text().splitlines()]
    assert {(d["line"], d["rule"], d["merged_into"]) for d in dups} == {(1, "same_id", row["id"]), (3, "same_body", row["id"])}


def test_rebuild_is_byte_identical_across_order_files_and_workers(tmp_path: Path, config_file: Path) -> None:
    write_corpus(tmp_path / "raw1", 60, seed=3, bad_every=7, files=1)
    copy_seed(tmp_path / "raw1")
    # The same records, shuffled and spread over other files.
    lines = (tmp_path / "raw1" / "part-00000.jsonl").read_bytes().splitlines()
    random.Random(1).shuffle(lines)
    good = [l for l in lines if l.startswith(b"{") and b'"text"' in l]
    write_jsonl(tmp_path / "raw2" / "b.jsonl", good[: len(good) // 2])
    write_jsonl(tmp_path / "raw2" / "a" / "c.jsonl", good[len(good) // 2 :])
    copy_seed(tmp_path / "raw2")

    _build(tmp_path / "raw1", tmp_path / "out1", config_file, workers=1)
    _build(tmp_path / "raw1", tmp_path / "out2", config_file, workers=2)
    assert release_bytes(tmp_path / "out1") == release_bytes(tmp_path / "out2")
    _build(tmp_path / "raw2", tmp_path / "out3", config_file, workers=2)
    data1 = {k: v for k, v in release_bytes(tmp_path / "out1").items() if k.startswith("data/")}
    data3 = {k: v for k, v in release_bytes(tmp_path / "out3").items() if k.startswith("data/")}
    assert data1 == data3


def test_small_shards_and_row_groups(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('name = "t"\nversion = "1.0.0"\n[output]\nrows_per_shard = 10\nrow_group_rows = 4\n')
    write_corpus(tmp_path / "raw", 40, seed=2)
    result = _build(tmp_path / "raw", tmp_path / "out", config)
    train = sorted((tmp_path / "out" / "data").glob("train-*.parquet"))
    assert len(train) == -(-result.splits["train"] // 10)
    assert train[0].name == f"train-00000-of-{len(train):05d}.parquet"
    meta = pq.ParquetFile(train[0]).metadata
    assert meta.num_rows == 10 and meta.row_group(0).num_rows == 4
    ids = pq.read_table(train).column("id").to_pylist()
    assert ids == sorted(ids)


def test_a_failure_on_the_writer_thread_stops_the_build_and_keeps_the_old_release(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text('name = "t"\nversion = "1.0.0"\n[output]\nrows_per_shard = 10\nrow_group_rows = 4\n')
    write_corpus(tmp_path / "raw", 40, seed=2)
    _build(tmp_path / "raw", tmp_path / "out", config)
    before = release_bytes(tmp_path / "out")
    real, calls = write.ShardWriter.write, []

    def failing(self, table):
        calls.append(threading.current_thread().name)
        if len(calls) == 5:
            raise OSError("disk full")
        return real(self, table)

    monkeypatch.setattr(write.ShardWriter, "write", failing)
    write_corpus(tmp_path / "raw", 45, seed=3)
    with pytest.raises(OSError, match="disk full"):
        _build(tmp_path / "raw", tmp_path / "out", config)
    assert all(name.startswith("parquet-writer") for name in calls)
    assert release_bytes(tmp_path / "out") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml", "out", "raw"]


def test_refuses_to_replace_a_directory_that_is_not_a_release(tmp_path: Path, config_file: Path) -> None:
    write_corpus(tmp_path / "raw", 3)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "thesis.tex").write_text("precious")
    with pytest.raises(BuildError, match="not a release"):
        _build(tmp_path / "raw", tmp_path / "home", config_file)
    assert (tmp_path / "home" / "thesis.tex").read_text() == "precious"


def test_rebuild_replaces_release_and_leaves_no_temporaries(tmp_path: Path, config_file: Path) -> None:
    write_corpus(tmp_path / "raw", 5)
    _build(tmp_path / "raw", tmp_path / "out", config_file)
    shutil.rmtree(tmp_path / "raw")
    write_corpus(tmp_path / "raw", 2, seed=9)
    result = _build(tmp_path / "raw", tmp_path / "out", config_file)
    assert result.counts["published"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.toml", "out", "raw"]


def test_blank_outlet_is_quarantined_and_data_text_is_inert_in_the_datasheet(tmp_path: Path, config_file: Path) -> None:
    write_jsonl(tmp_path / "raw" / "a.jsonl", [
        {"text": "Body of a story.", "outlet": " \u200b "},
        {"text": "Another story body.", "outlet": "<img src=x onerror=alert(1)> *News*"},
        {"text": "A third body, with a line\u2028separator.", "outlet": "Line\u2028Sep"},
    ])
    result = _build(tmp_path / "raw", tmp_path / "out", config_file)
    assert result.quarantine_reasons == {"missing_required": 1}
    datasheet = (tmp_path / "out" / "DATASHEET.md").read_text()
    assert "<img" not in datasheet and "&lt;img src=x onerror=alert(1)&gt; \\*News\\*" in datasheet
    for name in ("quarantine.jsonl", "duplicates.jsonl", "takedowns.jsonl"):
        text = (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert len(text.splitlines()) == text.count("\n")


def test_a_build_does_not_import_datasets(tmp_path: Path, config_file: Path) -> None:
    """`datasets` costs about a second to import; the build spells its features itself."""
    import subprocess
    import sys

    write_corpus(tmp_path / "raw", 5)
    code = ("import sys\nfrom builder.cli import main\n"
            f"main(['build', '--raw', {str(tmp_path / 'raw')!r}, '--out', {str(tmp_path / 'out')!r}, "
            f"'--config', {str(config_file)!r}, '--quiet', '--workers', '1'])\n"
            "print(sorted(m for m in sys.modules if m == 'datasets' or m.startswith('datasets.')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "out" / "README.md").is_file()


def test_global_stages_use_jemalloc_and_give_the_pool_back(tmp_path: Path, config_file: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    from builder import pipeline

    write_corpus(tmp_path / "raw", 12, seed=4)
    seen: list[str] = []
    real = pipeline.write_splits
    monkeypatch.setattr(pipeline, "write_splits",
                        lambda *a: seen.append(pa.default_memory_pool().backend_name) or real(*a))
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    before = pa.default_memory_pool().backend_name
    _build(tmp_path / "raw", tmp_path / "out", config_file)
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        assert seen == [before]
    else:
        assert seen == ["jemalloc"]
    assert pa.default_memory_pool().backend_name == before

    # A pool the user named is left alone, and the bytes do not depend on the pool.
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    _build(tmp_path / "raw", tmp_path / "again", config_file)
    assert seen[-1] == before
    assert release_bytes(tmp_path / "again") == release_bytes(tmp_path / "out")

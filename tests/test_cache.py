"""The incremental cache: same bytes as a clean build, and records are not processed twice."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from builder import engine
from builder.config import load_config
from builder.pipeline import build
from tests.conftest import copy_seed, release_bytes, write_jsonl
from tests.synthetic import make_article, write_corpus


def test_cached_rebuild_is_byte_identical_and_skips_work(tmp_path: Path, config_file: Path, monkeypatch) -> None:
    write_corpus(tmp_path / "raw", 80, seed=21, bad_every=10)
    copy_seed(tmp_path / "raw")
    config = load_config(config_file)
    cache = tmp_path / "cache"
    build(tmp_path / "raw", tmp_path / "first", config, cache=cache)

    # One percent-ish new: two records added in a new file.
    rng = random.Random(99)
    write_jsonl(tmp_path / "raw" / "new.jsonl", [make_article(rng, 10_000 + i) for i in range(2)])
    processed: list[int] = []
    original = engine.process_batch
    monkeypatch.setattr(engine, "process_batch", lambda units, limits: processed.append(len(units)) or original(units, limits))
    build(tmp_path / "raw", tmp_path / "cached", config, cache=cache)
    assert sum(processed) == 2  # only the new records went through validation and normalization

    monkeypatch.setattr(engine, "process_batch", original)
    build(tmp_path / "raw", tmp_path / "clean", config)
    assert release_bytes(tmp_path / "cached") == release_bytes(tmp_path / "clean")


def test_cache_is_not_used_across_normalizer_versions(tmp_path: Path, config_file: Path, monkeypatch) -> None:
    import builder.cache as cache_module

    write_corpus(tmp_path / "raw", 10, seed=22)
    config = load_config(config_file)
    build(tmp_path / "raw", tmp_path / "a", config, cache=tmp_path / "cache")
    monkeypatch.setattr(cache_module, "NORMALIZER_VERSION", "999.0.0")
    processed: list[int] = []
    original = engine.process_batch
    monkeypatch.setattr(engine, "process_batch", lambda units, limits: processed.append(len(units)) or original(units, limits))
    build(tmp_path / "raw", tmp_path / "b", config, cache=tmp_path / "cache")
    assert sum(processed) == 10


def test_cache_moves_with_file_layout(tmp_path: Path, config_file: Path) -> None:
    write_corpus(tmp_path / "raw", 12, seed=23, bad_every=5)
    config = load_config(config_file)
    build(tmp_path / "raw", tmp_path / "a", config, cache=tmp_path / "cache")
    (tmp_path / "raw" / "sub").mkdir()
    shutil.move(tmp_path / "raw" / "part-00000.jsonl", tmp_path / "raw" / "sub" / "moved.jsonl")
    build(tmp_path / "raw", tmp_path / "cached", config, cache=tmp_path / "cache")
    build(tmp_path / "raw", tmp_path / "clean", config)
    # Quarantine entries name the new file even when they come from the cache.
    assert release_bytes(tmp_path / "cached") == release_bytes(tmp_path / "clean")
    assert "sub/moved.jsonl" in (tmp_path / "cached" / "quarantine.jsonl").read_text()

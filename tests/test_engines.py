"""Engines change who runs the per-record stage, never a byte of the release."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.config import load_config
from builder.pipeline import build
from tests.conftest import copy_seed, release_bytes
from tests.synthetic import write_corpus


def test_dask_local_cluster_gives_the_local_engines_bytes(tmp_path: Path, config_file: Path) -> None:
    pytest.importorskip("dask.distributed")
    write_corpus(tmp_path / "raw", 120, seed=11, bad_every=9, files=3)
    copy_seed(tmp_path / "raw")
    config = load_config(config_file)
    local = build(tmp_path / "raw", tmp_path / "local", config, workers=1)
    dask = build(tmp_path / "raw", tmp_path / "dask", config, workers=2, engine="dask")
    assert dask.counts == local.counts
    assert release_bytes(tmp_path / "dask") == release_bytes(tmp_path / "local")


def test_dask_scheduler_address(tmp_path: Path, config_file: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    write_corpus(tmp_path / "raw", 30, seed=12)
    config = load_config(config_file)
    build(tmp_path / "raw", tmp_path / "local", config)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        build(tmp_path / "raw", tmp_path / "remote", config, engine="dask", scheduler=cluster.scheduler_address)
    assert release_bytes(tmp_path / "remote") == release_bytes(tmp_path / "local")


def test_unknown_engine_is_a_clear_error(tmp_path: Path, config_file: Path) -> None:
    from builder.pipeline import BuildError

    write_corpus(tmp_path / "raw", 2)
    with pytest.raises(BuildError, match="unknown engine"):
        build(tmp_path / "raw", tmp_path / "out", load_config(config_file), engine="spark")

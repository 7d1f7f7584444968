"""The release recorded under releases/<version>/ is what raw/ and corpus.toml build, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

from builder.config import load_config
from builder.pipeline import build
from builder.verify import verify_release
from tests.conftest import REPO


def test_recorded_release_reproduces(tmp_path: Path) -> None:
    config = load_config(REPO / "corpus.toml")
    recorded = json.loads((REPO / "releases" / config.version / "MANIFEST.json").read_text(encoding="utf-8"))
    out = tmp_path / "release"
    build(REPO / "raw", out, config)
    assert verify_release(out) == []
    rebuilt = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
    assert rebuilt["files"] == recorded["files"], "a rebuild of raw/ no longer matches the recorded release"
    assert (out / "DATASHEET.md").read_bytes() == (REPO / "DATASHEET.md").read_bytes()
    assert (out / "articles_per_month.svg").read_bytes() == (REPO / "articles_per_month.svg").read_bytes()

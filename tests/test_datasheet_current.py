"""The top-level DATASHEET.md is the datasheet of the release built from raw/ with corpus.toml."""

from __future__ import annotations

from pathlib import Path

from builder.config import load_config
from builder.pipeline import build
from tests.conftest import REPO


def test_top_level_datasheet_is_current(tmp_path: Path) -> None:
    build(REPO / "raw", tmp_path / "release", load_config(REPO / "corpus.toml"))
    built = (tmp_path / "release" / "DATASHEET.md").read_text(encoding="utf-8")
    assert (REPO / "DATASHEET.md").read_text(encoding="utf-8") == built, (
        "DATASHEET.md is stale: run `corpus-builder build --raw raw --out release` and copy release/DATASHEET.md"
    )

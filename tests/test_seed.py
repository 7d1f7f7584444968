"""The real Press TV capture, end to end: build, then read it back with datasets and pyarrow."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builder.config import load_config
from builder.pipeline import build
from builder.schema import article_arrow_schema
from tests.conftest import SEED_TXT, copy_seed

HEADLINE = "Kremlin: US talk of imminent Ukraine invasion ‘baseless hysteria’"
CAPTION = (
    "A handout still image taken from a video made available by the Russian Defense Ministry "
    "press service shows Russian armored vehicles load on railway freight carriages in "
    "Bakhchysarai, Crimea, on February 15, 2022."
)
SUBHEADS = [
    "Everything is in place for a new attack on Ukraine: NATO",
    "US defense sec. heads to Europe for NATO talks, to visit troops",
]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("seed")
    copy_seed(base / "raw")
    (base / "corpus.toml").write_text('name = "seed"\nversion = "1.0.0"\n', encoding="utf-8")
    out = base / "release"
    result = build(base / "raw", out, load_config(base / "corpus.toml"))
    assert result.counts == {"read": 1, "published": 1, "quarantined": 0, "duplicates": 0, "takedowns": 0}
    return out


@pytest.fixture(scope="module")
def row(release: Path) -> dict:
    files = sorted((release / "data").glob("*.parquet"))
    rows = pq.read_table(files).to_pylist()
    assert len(rows) == 1
    return rows[0]


def test_seed_outlet_section_headline(row: dict) -> None:
    assert row["outlet"] == "presstv"
    assert row["outlet_name"] == "Press TV"
    assert row["section"] == ["News", "Russia"]
    assert row["headline"] == HEADLINE
    assert row["language"] == "en"


def test_seed_metadata_not_invented(row: dict) -> None:
    # The capture carries no URL, dates, authors or dateline: they stay empty.
    assert row["url"] is None and row["canonical_url"] is None
    assert row["published_at"] is None and row["published_at_source"] is None
    assert row["retrieved_at"] is None
    assert row["authors"] == []
    assert row["dateline"] == {"place": None, "date": None, "agency": None}


def test_seed_caption_moved_to_images(row: dict) -> None:
    assert row["images"] == [{"caption": CAPTION, "credit": "Reuters"}]
    assert "(Via Reuters)" not in row["text"]
    assert "handout still image" not in row["text"]


def test_seed_footer_and_app_links_removed(row: dict) -> None:
    kinds = {r["kind"]: r["text"] for r in row["removed"]}
    assert kinds["alternate_addresses_footer"] == "Press TV’s website can also be accessed at the following alternate addresses:"
    assert kinds["app_links"] == "Press TV News Roku"
    assert kinds["breadcrumb"] == "News / Russia"
    assert kinds["headline"] == HEADLINE
    assert "alternate addresses" not in row["text"]
    assert "Roku" not in row["text"]


def test_seed_body_untouched_but_spaces(row: dict) -> None:
    raw = SEED_TXT.read_text(encoding="utf-8")
    text = row["text"]
    assert "\u00a0" not in text
    paragraphs = text.split("\n\n")
    assert paragraphs[0].startswith("The Kremlin has denounced as \"baseless hysteria\"")
    assert paragraphs[-1].startswith("Ukrainian President Volodymyr Zelenskiy")
    for sub in SUBHEADS:
        assert sub in paragraphs, "sub-headings stay as their own paragraphs"
    # Every body paragraph is a raw paragraph with only its spaces folded.
    raw_paragraphs = {" ".join(p.replace("\u00a0", " ").split()) for p in raw.split("\n\n")}
    assert all(p in raw_paragraphs for p in paragraphs)
    assert "misinformation campaigns that further escalated tensions" in text
    # Body + removed + images account for every raw paragraph.
    accounted = set(paragraphs) | {r["text"] for r in row["removed"]}
    assert raw_paragraphs - accounted == set()
    assert {"kind": "image_caption", "text": CAPTION + " (Via Reuters)"} in row["removed"]


def test_seed_ids_and_hashes(row: dict) -> None:
    assert len(row["id"]) == 32 and int(row["id"], 16) >= 0
    assert row["cluster_id"] == row["id"]
    assert len(row["raw_sha256"]) == 64


def test_seed_parquet_schema_is_explicit(release: Path) -> None:
    (path,) = (release / "data").glob("*.parquet")
    schema = pq.read_schema(path)
    assert schema.equals(article_arrow_schema(), check_metadata=False)
    assert schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert b"huggingface" in schema.metadata


def test_seed_manifest_lists_all_splits(release: Path) -> None:
    manifest = json.loads((release / "MANIFEST.json").read_text())
    assert manifest["splits"] == {"train": 1, "validation": 0, "test": 0}
    assert manifest["counts"]["read"] == 1
    assert (release / "quarantine.jsonl").read_text() == ""
    assert set(manifest["files"]) >= {
        "DATASHEET.md", "README.md", "duplicates.jsonl", "quarantine.jsonl", "takedowns.jsonl",
        "data/train-00000-of-00001.parquet",
    }
    assert [f for f in manifest["files"] if f.startswith("data/")] == ["data/train-00000-of-00001.parquet"]


def test_seed_loads_with_datasets_offline(release: Path, row: dict) -> None:
    from datasets import load_dataset

    ds = load_dataset(str(release))
    assert list(ds) == ["train"]  # the empty splits are not declared
    assert ds["train"].num_rows == 1
    record = ds["train"][0]
    assert record["headline"] == HEADLINE
    assert record["section"] == ["News", "Russia"]
    assert record["images"] == [{"caption": CAPTION, "credit": "Reuters"}]
    assert record["text"] == row["text"]
    assert str(ds["train"].features["published_at"].dtype) == "timestamp[us, tz=UTC]"


def test_seed_datasheet_names_state_broadcaster(release: Path) -> None:
    text = (release / "DATASHEET.md").read_text()
    assert "presstv" in text
    assert "## Bias, representativeness and caveats" in text


def test_seed_removed_is_in_page_order(row: dict) -> None:
    assert [r["kind"] for r in row["removed"]] == [
        "breadcrumb", "headline", "image_caption", "alternate_addresses_footer", "app_links"
    ]

"""One release, five readers: datasets, pyarrow, pandas, polars and DuckDB see the same values and types."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builder.config import load_config
from builder.pipeline import build
from builder.process import process_unit
from builder.records import RawUnit
from builder.schema import article_arrow_schema, article_features
from builder.validate import Limits
from tests.conftest import write_jsonl
from tests.synthetic import make_article

ROW_GROUP = 4
UNDATED = 16  # the first rows by id, more than one row group: no metadata at all
CONFIG = f"""\
name = "portable"
version = "1.0.0"
license = "cc-by-4.0"
authors = ["Test Author"]
release_date = 2026-03-01

[splits]
# One split, so that the rows with the smallest ids (the first written) are the undated ones.
train = 1.0
validation = 0.0
test = 0.0

[output]
rows_per_shard = 12
row_group_rows = {ROW_GROUP}
"""
NO_METADATA = ("published", "retrieved_at", "authors", "section", "language", "title")
COLUMNS = ("id", "url", "headline", "published_at", "retrieved_at", "language", "section", "authors",
           "dateline", "images", "removed", "text")


def _records() -> list[dict[str, Any]]:
    """Articles with URLs; those whose ids sort first lose every optional field."""
    rng = random.Random(21)
    records = [r for r in (make_article(rng, i) for i in range(40)) if "url" in r][:28]
    ids = {}
    for i, record in enumerate(records):
        article = process_unit(RawUnit("probe.jsonl", i + 1, json.dumps(record).encode()), Limits())
        ids[article.id] = i
    order = [ids[k] for k in sorted(ids)]
    for i in order[:UNDATED]:
        for key in NO_METADATA:
            records[i].pop(key, None)
    for i in order[UNDATED:]:
        records[i].update(published="2024-03-05T10:15:00+02:00", retrieved_at="2024-03-06T08:00:00Z",
                          authors=["Jane Doe"], section="World / Europe", language="en-GB")
    return records


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("portable")
    write_jsonl(root / "raw" / "a.jsonl", _records())
    (root / "corpus.toml").write_text(CONFIG, encoding="utf-8")
    build(root / "raw", root / "release", load_config(root / "corpus.toml"))
    return root / "release"


def _files(release: Path) -> list[str]:
    return [str(p) for p in sorted((release / "data").glob("train-*.parquet"))]


def _canonical(row: dict[str, Any]) -> dict[str, Any]:
    """One reader-independent form: UTC instants as epoch microseconds, dates as ISO strings, lists as lists."""

    def value(v: Any) -> Any:
        if v is None:
            return None
        if isinstance(v, dt.datetime):
            assert v.utcoffset() == dt.timedelta(0), f"{v!r} is not a UTC instant"
            return round(v.timestamp() * 1_000_000)
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, dict):
            return {k: value(x) for k, x in v.items()}
        if hasattr(v, "tolist") and not isinstance(v, str):
            v = v.tolist()
        if isinstance(v, (list, tuple)):
            return [value(x) for x in v]
        if isinstance(v, float) and math.isnan(v):  # NaN is how some readers spell a missing value
            return None
        return v

    return {c: value(row[c]) for c in COLUMNS}


@pytest.fixture(scope="module")
def expected(release: Path) -> list[dict[str, Any]]:
    table = pq.ParquetDataset(_files(release)).read()
    return [_canonical(r) for r in table.to_pylist()]


def test_first_row_groups_are_all_null_yet_typed(release: Path) -> None:
    first = pq.ParquetFile(_files(release)[0])
    assert first.schema_arrow.equals(article_arrow_schema(), check_metadata=False)
    group = first.read_row_group(0)
    for column in ("published_at", "retrieved_at", "published_at_source"):
        assert group.column(column).null_count == group.num_rows == ROW_GROUP, column
    assert first.schema_arrow.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert first.schema_arrow.field("authors").type == pa.list_(pa.field("element", pa.string(), nullable=False))


def test_pyarrow(release: Path, expected: list[dict[str, Any]]) -> None:
    table = pq.ParquetDataset(_files(release)).read()
    assert table.schema.equals(article_arrow_schema(), check_metadata=False)
    assert table.schema.field("images").type == pa.list_(pa.field("element", pa.struct(
        [pa.field("caption", pa.string(), nullable=False), pa.field("credit", pa.string())]), nullable=False))
    assert [_canonical(r) for r in table.to_pylist()] == expected
    assert any(r["published_at"] is None for r in expected) and any(r["published_at"] for r in expected)
    assert any(r["images"] for r in expected) and any(r["url"] for r in expected)


def test_datasets_offline_with_features_from_the_parquet_metadata(release: Path, expected: list[dict[str, Any]],
                                                                  tmp_path: Path) -> None:
    from datasets import Features, load_dataset

    ds = load_dataset(str(release), split="train")
    assert ds.features == article_features()
    assert str(ds.features["published_at"].dtype) == "timestamp[us, tz=UTC]"
    assert [_canonical(r) for r in ds] == expected
    # Round trip: a file rewritten by plain pyarrow keeps the features in its schema metadata.
    copy = tmp_path / "copy" / "data.parquet"
    copy.parent.mkdir()
    pq.write_table(pq.read_table(_files(release)[0]), copy)
    meta = json.loads(pq.read_schema(copy).metadata[b"huggingface"])
    assert Features.from_dict(meta["info"]["features"]) == article_features()
    again = load_dataset("parquet", data_files=str(copy), split="train")
    assert again.features == article_features()


def test_pandas(release: Path, expected: list[dict[str, Any]]) -> None:
    import pandas as pd

    df = pd.concat([pd.read_parquet(f) for f in _files(release)], ignore_index=True)
    assert str(df["published_at"].dtype) == "datetime64[us, UTC]"
    assert str(df["retrieved_at"].dtype) == "datetime64[us, UTC]"
    rows = []
    for record in df.to_dict("records"):
        record = {k: (None if v is pd.NaT else v) for k, v in record.items()}
        for key in ("published_at", "retrieved_at"):
            if record[key] is not None:
                record[key] = record[key].to_pydatetime()
        rows.append(_canonical(record))
    assert rows == expected


def test_polars(release: Path, expected: list[dict[str, Any]]) -> None:
    import polars as pl

    lf = pl.scan_parquet(str(release / "data" / "train-*.parquet"))
    schema = lf.collect_schema()
    assert schema["published_at"] == pl.Datetime("us", "UTC")
    assert schema["section"] == pl.List(pl.String)
    assert schema["images"] == pl.List(pl.Struct({"caption": pl.String, "credit": pl.String}))
    assert schema["dateline"] == pl.Struct({"place": pl.String, "date": pl.Date, "agency": pl.String})
    assert [_canonical(r) for r in lf.sort("id").collect().to_dicts()] == expected


def test_duckdb(release: Path, expected: list[dict[str, Any]]) -> None:
    import duckdb

    con = duckdb.connect()
    source = f"read_parquet('{release / 'data'}/train-*.parquet')"
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})").fetchall())
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["section"] == "VARCHAR[]"
    assert types["images"] == "STRUCT(caption VARCHAR, credit VARCHAR)[]"
    assert types["dateline"] == "STRUCT(place VARCHAR, date DATE, agency VARCHAR)"
    # Instants as epoch microseconds: independent of the session's TimeZone setting.
    cursor = con.execute(f"SELECT * EXCLUDE (published_at, retrieved_at), epoch_us(published_at) AS published_at, "
                         f"epoch_us(retrieved_at) AS retrieved_at FROM {source} ORDER BY id")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    assert [_canonical(r) for r in rows] == expected


def test_the_cards_loading_snippet_runs(release: Path) -> None:
    card = (release / "README.md").read_text(encoding="utf-8")
    (snippet,) = re.findall(r"### Loading\n\n```python\n(.*?)```", card, flags=re.DOTALL)
    snippet = snippet.replace('release = "path/to/release"', f"release = {str(release)!r}", 1)
    scope: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), scope)  # noqa: S102 - the card's own example
    n = json.loads((release / "MANIFEST.json").read_text())["counts"]["published"]
    assert scope["ds"]["train"].num_rows == n
    assert len(scope["df"]) == pq.ParquetFile(_files(release)[0]).metadata.num_rows
    assert scope["table"].num_rows == n
    assert scope["lf"].collect().height == n
    assert sum(count for _, count in scope["per_outlet"]) == n

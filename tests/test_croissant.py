"""croissant.json: valid Croissant 1.1 for mlcroissant, every field typed, records readable, RAI fields filled."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builder import describe
from builder.citation import render_bibtex
from builder.config import load_config
from builder.croissant import CROISSANT_VERSION, RAI_VERSION, RECORD_SET
from builder.pipeline import build
from builder.schema import article_arrow_schema
from tests.test_describe import _stats, _write_rich_corpus, refuse_network

RAI_FIELDS = ("rai:dataCollection", "rai:dataCollectionType", "rai:dataCollectionMissingData", "rai:dataBiases",
              "rai:dataLimitations", "rai:personalSensitiveInformation", "rai:dataUseCases", "rai:dataSocialImpact",
              "rai:dataPreprocessingProtocol", "rai:dataReleaseMaintenancePlan")
CROISSANT_TYPES = {pa.string(): "sc:Text", pa.timestamp("us", tz="UTC"): "sc:DateTime", pa.date32(): "sc:Date"}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_network(monkeypatch)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("croissant")
    config = _write_rich_corpus(root)
    # Several shards per split, so the FileSet has to gather them.
    config.write_text(config.read_text() + "\n[output]\nrows_per_shard = 8\nrow_group_rows = 4\n", encoding="utf-8")
    build(root / "raw", root / "release", load_config(config))
    return root / "release"


@pytest.fixture(scope="module")
def doc(release: Path) -> dict:
    return json.loads((release / describe.CROISSANT_FILE).read_text(encoding="utf-8"))


def _fields_by_name(doc: dict) -> dict[str, dict]:
    (articles,) = [r for r in doc["recordSet"] if r["@id"] == RECORD_SET]
    return {f["name"]: f for f in articles["field"]}


def test_mlcroissant_validates_without_errors_or_warnings(release: Path, no_network: None) -> None:
    import mlcroissant as mlc

    dataset = mlc.Dataset(jsonld=release / describe.CROISSANT_FILE)
    issues = dataset.metadata.ctx.issues
    assert not issues.errors, issues.report()
    assert not issues.warnings, issues.report()
    assert dataset.metadata.version == "1.2.0"
    assert dataset.metadata.cite_as == render_bibtex(load_config(release.parent / "corpus.toml"))


def test_records_read_through_mlcroissant_match_the_parquet_rows(release: Path, no_network: None) -> None:
    import mlcroissant as mlc

    records = list(mlc.Dataset(jsonld=release / describe.CROISSANT_FILE).records(RECORD_SET))
    rows = {}
    for path in sorted((release / "data").glob("*.parquet")):
        for row in pq.read_table(path).to_pylist():
            rows[row["id"]] = row | {"split": path.name.split("-")[0]}
    assert len(records) == len(rows) == json.loads((release / "MANIFEST.json").read_text())["counts"]["published"]

    def text(value: bytes | None) -> str | None:
        return None if value is None else value.decode("utf-8")

    seen_images = seen_dateline = 0
    for record in records:
        row = rows[text(record[f"{RECORD_SET}/id"])]
        assert text(record[f"{RECORD_SET}/split"]) == row["split"]
        assert text(record[f"{RECORD_SET}/url"]) == row["url"]
        assert text(record[f"{RECORD_SET}/headline"]) == row["headline"]
        assert [text(a) for a in record[f"{RECORD_SET}/authors"]] == row["authors"]
        assert [text(s) for s in record[f"{RECORD_SET}/section"]] == row["section"]
        published = record[f"{RECORD_SET}/published_at"]
        assert (None if published is None else published.to_pydatetime()) == row["published_at"]
        images = [{k.rsplit("/", 1)[1]: text(v) for k, v in image.items()} for image in record[f"{RECORD_SET}/images"]]
        assert images == row["images"]
        removed = [{k.rsplit("/", 1)[1]: text(v) for k, v in r.items()} for r in record[f"{RECORD_SET}/removed"]]
        assert removed == row["removed"]
        dateline = {k.rsplit("/", 1)[1]: v for k, v in record[f"{RECORD_SET}/dateline"].items()}
        assert text(dateline["place"]) == row["dateline"]["place"]
        assert (None if dateline["date"] is None else dateline["date"].date()) == row["dateline"]["date"]
        seen_images += bool(images)
        seen_dateline += row["dateline"]["date"] is not None
    assert seen_images and seen_dateline, "the corpus must exercise list<struct> and dated datelines"


def test_every_column_is_a_typed_field(doc: dict) -> None:
    fields = _fields_by_name(doc)
    schema = article_arrow_schema()
    assert list(fields) == [*schema.names, "split"]
    for arrow_field in schema:
        field = fields[arrow_field.name]
        arrow_type = arrow_field.type
        if pa.types.is_list(arrow_type):
            assert field["isArray"] is True
            arrow_type = arrow_type.value_type
        else:
            assert "isArray" not in field
        if pa.types.is_struct(arrow_type):
            subs = {s["name"]: s for s in field["subField"]}
            assert list(subs) == [arrow_type.field(i).name for i in range(arrow_type.num_fields)]
            for i in range(arrow_type.num_fields):
                sub = subs[arrow_type.field(i).name]
                assert sub["dataType"] == CROISSANT_TYPES[arrow_type.field(i).type]
                assert sub["source"]["extract"] == {"column": arrow_field.name}
                assert sub["source"]["transform"] == {"jsonPath": arrow_type.field(i).name}
                assert sub["description"]
        else:
            assert field["dataType"] == CROISSANT_TYPES[arrow_type]
            assert field["source"]["extract"] == {"column": arrow_field.name}
        assert field["description"]


def test_distribution_lists_every_shard_with_its_checksum(release: Path, doc: dict) -> None:
    manifest = json.loads((release / "MANIFEST.json").read_text())
    shards = sorted(f for f in manifest["files"] if f.startswith("data/"))
    assert len(shards) > 3
    objects = {d["@id"]: d for d in doc["distribution"] if d["@type"] == "cr:FileObject"}
    assert sorted(objects) == shards
    for rel, entry in objects.items():
        assert entry["sha256"] == manifest["files"][rel]["sha256"] == describe.file_sha256(release / rel)
        assert entry["contentSize"] == f"{(release / rel).stat().st_size} B"
        assert entry["encodingFormat"] == "application/x-parquet"
        assert not Path(entry["contentUrl"]).is_absolute()
    (file_set,) = [d for d in doc["distribution"] if d["@type"] == "cr:FileSet"]
    assert file_set["includes"] == "data/*.parquet"


def test_dataset_level_metadata(release: Path, doc: dict) -> None:
    config = load_config(release.parent / "corpus.toml")
    assert doc["conformsTo"] == [CROISSANT_VERSION, RAI_VERSION]
    assert doc["version"] == config.version and doc["datePublished"] == "2026-03-01"
    assert doc["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert doc["citeAs"] == render_bibtex(config)
    assert doc["url"] == config.homepage and doc["sameAs"] == ["https://doi.org/10.5281/zenodo.1234567"]
    assert {"@type": "sc:Person", "name": "Jane Doe", "givenName": "Jane", "familyName": "Doe"} in doc["creator"]


def test_rai_fields_come_from_the_datasheet_sources(release: Path, doc: dict) -> None:
    for key in RAI_FIELDS:
        assert doc.get(key), key
    stats = _stats(release)
    notes = describe.caveats(stats, describe.outlet_facts(stats))
    datasheet = (release / "DATASHEET.md").read_text(encoding="utf-8")
    for caveat in notes:
        bucket = doc["rai:dataBiases"] if caveat.kind == "bias" else doc["rai:dataLimitations"]
        assert caveat.plain() in bucket
        assert f"- **{caveat.title}:** {caveat.text}" in datasheet
    assert any("Selection effects" in b for b in doc["rai:dataBiases"])
    assert "taken down in this release: 1" in doc["rai:dataReleaseMaintenancePlan"]
    assert doc["rai:dataCollectionTimeframe"] == [stats.retrieved_min, stats.retrieved_max]
    dt.date.fromisoformat(stats.retrieved_min)


def test_seed_release_croissant_validates(tmp_path: Path, no_network: None) -> None:
    import mlcroissant as mlc

    from tests.conftest import REPO

    build(REPO / "raw", tmp_path / "seed", load_config(REPO / "corpus.toml"))
    dataset = mlc.Dataset(jsonld=tmp_path / "seed" / describe.CROISSANT_FILE)
    # No release date and a custom licence: only the missing datePublished may be reported.
    assert not dataset.metadata.ctx.issues.errors
    assert all("datePublished" in w or "date_published" in w for w in dataset.metadata.ctx.issues.warnings)
    (record,) = list(dataset.records(RECORD_SET))
    assert record[f"{RECORD_SET}/published_at"] is None

"""Release documents: datasheet and its figure, the Hub dataset card, CITATION.cff, publishing to the Hub."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from unittest import mock
from xml.etree import ElementTree as ET

import jsonschema
import pytest
import yaml

from builder import describe
from builder.citation import render_bibtex, render_cff
from builder.cli import main
from builder.config import ConfigError, load_config
from builder.pipeline import build
from builder.publish import PublishError, publish
from builder.records import SPLITS
from builder.schema import article_features
from builder.stats import Stats
from tests.conftest import REPO, write_jsonl
from tests.synthetic import make_article
from tests.test_clusters import WIRE

# The Citation File Format 1.2.0 schema, vendored unchanged from the cffconvert 2.0.0 wheel
# (cffconvert/schemas/1.2.0/schema.json; the schema is published by the CFF project under CC-BY-4.0).
CFF_SCHEMA = Path(__file__).parent / "data" / "citation-file-format-1.2.0.schema.json"
RICH_CONFIG = """\
name = "rich-corpus"
pretty_name = "Rich Corpus"
version = "1.2.0"
license = "cc-by-4.0"
description = "A test corpus with every citation key set."
authors = ["Doe, Jane", "News Corpus Lab"]
release_date = 2026-03-01
doi = "10.5281/zenodo.1234567"
homepage = "https://huggingface.co/datasets/example-org/rich-corpus"
takedowns = "takedowns.toml"
"""
GEBRU_SECTIONS = ("## Motivation", "## Composition", "## Collection process", "## Preprocessing, cleaning and labelling",
                  "## Uses", "## Distribution", "## Maintenance")
DATA_STATEMENT_ITEMS = ("Curation rationale", "Language variety", "Speaker demographics", "Annotator demographics",
                        "Speech situation", "Text characteristics", "Recording quality", "Provenance")
SVG = "{http://www.w3.org/2000/svg}"
NEW_FILES = (describe.PLOT_FILE, describe.CROISSANT_FILE, describe.CITATION_FILE)


def refuse_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test instead of reaching a hub."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_network(monkeypatch)


def _write_rich_corpus(root: Path) -> Path:
    """Raw captures with a near-duplicate pair of wire copies and one article taken down; returns the config."""
    rng = random.Random(11)
    records = [make_article(rng, i) for i in range(40)]
    records += [
        {"text": WIRE, "outlet": "Reuters", "url": "https://www.reuters.com/world/kremlin-hysteria",
         "published": "2022-02-15T10:00:00Z", "authors": ["Jane Roe"]},
        {"text": WIRE.replace("baseless hysteria", "“baseless hysteria”"), "outlet": "Al Jazeera",
         "url": "https://www.aljazeera.com/news/2022/2/15/kremlin", "published": "2022-02-15T11:00:00Z"},
    ]
    write_jsonl(root / "raw" / "a.jsonl", records)
    (root / "takedowns.toml").write_text(
        f'[[takedown]]\nurl = "{records[0]["url"]}"\nreason = "publisher request"\n', encoding="utf-8")
    (root / "corpus.toml").write_text(RICH_CONFIG, encoding="utf-8")
    return root / "corpus.toml"


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rich")
    config = _write_rich_corpus(root)
    build(root / "raw", root / "release", load_config(config))
    return root / "release"


def _stats(release: Path) -> Stats:
    import pyarrow.parquet as pq

    stats = Stats()
    for path in sorted((release / "data").glob("*.parquet")):
        stats.observe(path.name.split("-")[0], pq.read_table(path))
    return stats


def test_counting_a_bucket_at_once_equals_counting_its_splits_one_by_one(rich: Path) -> None:
    """The writer counts each bucket once, its splits side by side; the counts (and each
    outlet's display name: the first seen, split by split) are those of one call per split."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pa.concat_tables([pq.read_table(p) for p in sorted((rich / "data").glob("*.parquet"))])
    # Several display names for one slug, so which row is "first" matters.
    names = [f"Name {i % 3}" for i in range(table.num_rows)]
    table = table.set_column(table.schema.get_field_index("outlet_name"), "outlet_name", pa.array(names))
    order = ("train", "validation", "test")
    rng = random.Random(4)
    splits = pa.array([rng.choice(order) for _ in range(table.num_rows)])
    one_by_one, at_once = Stats(), Stats()
    for split in order:
        one_by_one.observe(split, table.filter(pc.equal(splits, split)))
    at_once.observe(splits, table, order)
    assert at_once.per_split == one_by_one.per_split and at_once.per_outlet_split == one_by_one.per_outlet_split
    assert at_once.outlet_names == one_by_one.outlet_names
    for name in ("rows", "per_outlet", "per_language", "per_month", "per_outlet_month", "removed_kinds",
                 "removed_records", "length_hist", "missing", "chars_total", "date_min", "date_max"):
        assert getattr(at_once, name) == getattr(one_by_one, name), name
    assert at_once.near_duplicate_clusters() == one_by_one.near_duplicate_clusters()


# --------------------------------------------------------------------------- figure


def _svg(data: bytes) -> ET.Element:
    """The figure parsed as XML (a malformed file raises here)."""
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    return ET.fromstring(data)


def _bar_heights(root: ET.Element) -> dict[str, list[float]]:
    """Heights of the bars of each series, by the series' title, read back from the path data."""
    bars = {}
    for path in root.iter(f"{SVG}path"):
        title = path.find(f"{SVG}title")
        if title is not None:
            bars[title.text] = [float(v) for v in re.findall(r"v(-?[0-9.]+)", path.get("d"))]
    return bars


def test_month_plot_is_byte_identical_across_renders_and_processes(rich: Path) -> None:
    stats = _stats(rich)
    first = describe.render_month_plot(stats)
    assert first == describe.render_month_plot(stats)
    assert first == (rich / describe.PLOT_FILE).read_bytes()
    code = ("import sys; from pathlib import Path; from tests.test_describe import _stats; from builder import describe; "
            f"sys.stdout.buffer.write(describe.render_month_plot(_stats(Path({str(rich)!r}))))")
    other = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "123"}).stdout
    assert other == first
    root = _svg(first)
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("1000", "500", "0 0 1000 500")


def test_month_plot_bars_add_up_to_the_counts(rich: Path) -> None:
    stats = _stats(rich)
    root = _svg(describe.render_month_plot(stats))
    bars = _bar_heights(root)
    per_outlet = Counter()
    for (outlet, month), count in stats.per_outlet_month.items():
        if month != "unknown":
            per_outlet[outlet] += count
    assert set(bars) == set(per_outlet)  # fewer outlets than PLOT_OUTLETS: each drawn on its own
    # One pixel scale for every bar: heights are proportional to the counts, month by month.
    scale = {round(sum(h) / per_outlet[o], 6) for o, h in bars.items()}
    assert len(scale) == 1 and scale.pop() > 0
    for outlet, heights in bars.items():
        assert len(heights) == sum(1 for (o, m), c in stats.per_outlet_month.items() if o == outlet and m != "unknown" and c)
    legend = [t.text for t in root.iter(f"{SVG}text")]
    assert "outlet" in legend and all(o in legend for o in per_outlet)
    ticks = [int(t) for t in legend if t and t.isdigit()]
    assert ticks[0] == 0 and ticks[-1] >= max(sum(c for (_, m), c in stats.per_outlet_month.items() if m == month)
                                              for month in stats.per_month if month != "unknown")


def test_month_plot_pools_outlets_past_the_limit_and_notes_undated() -> None:
    stats = Stats(rows=0, date_min="2020-01", date_max="2020-03")
    for i in range(describe.PLOT_OUTLETS + 3):
        stats.per_outlet_month[(f"outlet-{i:02d}", "2020-02")] = 100 - i
    stats.per_outlet_month[("outlet-00", "unknown")] = 7
    stats.per_month["unknown"] = 7
    root = _svg(describe.render_month_plot(stats))
    bars = _bar_heights(root)
    assert len(bars) == describe.PLOT_OUTLETS + 1 and "3 other outlets" in bars
    assert "outlet-14" not in bars and "outlet-00" in bars
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "7 articles without a published date are not shown." in texts
    assert "2020-01" in texts and "2020-03" in texts  # every month of the range is on the axis


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "a & b \"q\" 'r'", "nul\x00 and \x1b esc \ud800 lone",
                                  "x" * 5000, "رسانه‌ها 📰"])
def test_month_plot_is_well_formed_whatever_the_outlet_is_called(name: str) -> None:
    stats = Stats(rows=1, date_min="2021-05", date_max="2021-05")
    stats.per_outlet_month[(name, "2021-05")] = 1
    data = describe.render_month_plot(stats)
    root = _svg(data)
    assert b"<script" not in data and len(data) < 5000
    (label,) = _bar_heights(root)
    assert "\x00" not in label and "\ud800" not in label and len(label) <= 48


def test_month_plot_without_any_date_still_renders() -> None:
    stats = Stats(rows=3)
    stats.per_month["unknown"] = 3
    svg = describe.render_month_plot(stats)
    root = _svg(svg)
    assert svg == describe.render_month_plot(stats)
    assert "No article has a published date (3 undated)." in [t.text for t in root.iter(f"{SVG}text")]
    assert not _bar_heights(root)


@pytest.mark.parametrize(("top", "ticks"), [(0, [0, 1]), (1, [0, 1]), (6, [0, 1, 2, 3, 4, 5, 6]), (7, [0, 2, 4, 6, 8]),
                                            (101, [0, 20, 40, 60, 80, 100, 120]), (1234, [0, 500, 1000, 1500]), (120, [0, 20, 40, 60, 80, 100, 120])])
def test_y_ticks_are_round_and_cover_the_tallest_bar(top: int, ticks: list[int]) -> None:
    assert describe._y_ticks(top) == ticks


# --------------------------------------------------------------------------- datasheet


def test_datasheet_has_every_section_and_embeds_the_figure(rich: Path) -> None:
    text = (rich / "DATASHEET.md").read_text(encoding="utf-8")
    for heading in GEBRU_SECTIONS:
        assert f"\n{heading}\n" in text, heading
    for item in DATA_STATEMENT_ITEMS:
        assert f"**{item}:**" in text, item
    assert f"]({describe.PLOT_FILE})" in text and (rich / describe.PLOT_FILE).is_file()
    assert not re.search(r"\{\{[a-z_]+\}\}", text)
    assert "### Articles per month (of publication)" in text and "### Missing metadata" in text
    assert "### Quarantined raw records, by reason" in text


def test_datasheet_prose_is_the_template_verbatim(rich: Path) -> None:
    text = (rich / "DATASHEET.md").read_text(encoding="utf-8")
    template = (describe.TEMPLATE_DIR / "datasheet.md").read_text(encoding="utf-8")
    for paragraph in template.split("\n\n"):
        for piece in re.split(r"\{\{[a-z_]+\}\}", paragraph):
            if piece.strip():
                assert piece.strip() in text, piece[:80]


def test_datasheet_counts_near_duplicates_and_lists_takedowns(rich: Path) -> None:
    text = (rich / "DATASHEET.md").read_text(encoding="utf-8")
    manifest = json.loads((rich / "MANIFEST.json").read_text())
    assert manifest["counts"]["takedowns"] == 1
    assert "1 near-duplicate cluster (values of `cluster_id` shared by more than one article) groups 2 of the" in text
    assert "1 article was taken down from this release on request:" in text
    assert "publisher request" in text
    # Counted from the cluster_id column, the same number the planner found.
    assert _stats(rich).near_duplicate_clusters() == (1, 2)


def test_datasheet_bias_caveats_are_computed_from_registry(rich: Path) -> None:
    text = (rich / "DATASHEET.md").read_text(encoding="utf-8")
    bias = text.split("## Bias, representativeness and caveats", 1)[1].split("## Uses", 1)[0]
    stats = _stats(rich)
    facts = describe.outlet_facts(stats)
    for fact in facts:
        assert f"| `{fact.slug}` |" in bias
        for url, checked in fact.sources:
            assert f"<{url}> (checked {checked})" in bias
    titles = [c.title for c in describe.caveats(stats, facts)]
    for title in ("Outlet imbalance", "State-owned and state-affiliated media", "Countries of the outlets",
                  "Language coverage", "Time coverage", "Missing metadata", "Wire copy and near-duplicates"):
        assert title in titles and f"- **{title}:**" in bias
    top = facts[0]
    assert f"the largest outlet, {top.name or top.slug} (`{top.slug}`), supplies" in bias


def test_takedowns_passed_in_are_listed() -> None:
    stats = Stats()
    config = load_config(REPO / "corpus.toml")
    counts = {"read": 0, "published": 0, "quarantined": 0, "duplicates": 0}
    splits = dict.fromkeys(("train", "validation", "test"), 0)
    none = describe.render_datasheet(config, stats, counts, splits, Counter(), 0, "0" * 64, 0)
    assert "No article has been taken down from this release." in none
    some = describe.render_datasheet(config, stats, counts, splits, Counter(), 0, "0" * 64, 0,
                                     takedowns=[{"id": "ab" * 16, "url": "https://example.com/a", "reason": "court order"}])
    assert f"| `{'ab' * 16}` | https://example.com/a | court order |" in some


def test_provenance_names_the_lock_only_inside_the_source_tree(rich: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    text = (rich / "DATASHEET.md").read_text(encoding="utf-8")
    lock = describe.file_sha256(REPO / "requirements.lock")
    assert f"`requirements.lock` `sha256:{lock}`" in text
    assert json.loads((rich / "MANIFEST.json").read_text())["requirements_lock_sha256"] == f"sha256:{lock}"
    monkeypatch.setattr(describe, "SOURCE_ROOT", tmp_path)
    assert describe.lock_sha256() is None
    assert "Dependency lock: none" in describe._provenance(load_config(REPO / "corpus.toml"), "0" * 64, 1)


def test_new_files_are_reproducible_and_in_the_manifest(rich: Path, tmp_path: Path) -> None:
    config = _write_rich_corpus(tmp_path)
    build(tmp_path / "raw", tmp_path / "again", load_config(config))
    manifest = json.loads((rich / "MANIFEST.json").read_text())
    for name in (*NEW_FILES, "README.md", "DATASHEET.md"):
        assert (rich / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
        assert name in manifest["files"]
    for name in (*NEW_FILES[1:], "README.md", "DATASHEET.md", "MANIFEST.json"):
        body = (rich / name).read_text(encoding="utf-8")
        assert str(rich.parent) not in body and str(REPO) not in body, f"{name} holds an absolute path"
        host = socket.gethostname()
        assert len(host) < 6 or host not in body, f"{name} holds the host name"


# --------------------------------------------------------------------------- dataset card


def test_card_yaml_is_valid_for_the_hub_offline(rich: Path, no_network: None) -> None:
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard

    content = (rich / "README.md").read_text(encoding="utf-8")
    card = DatasetCard(content)  # parses the YAML into DatasetCardData; never calls the Hub
    data = card.data
    manifest = json.loads((rich / "MANIFEST.json").read_text())
    resources = Path(__import__("datasets").__file__).parent / "utils" / "resources"
    assert data.pretty_name == "Rich Corpus"
    assert data.license == "cc-by-4.0"
    assert set(data.size_categories) <= set(json.loads((resources / "size_categories.json").read_text()))
    assert set(data.language) <= set(json.loads((resources / "languages.json").read_text()))
    assert data.task_categories == describe.TASK_CATEGORIES
    assert data.multilinguality and data.annotations_creators == ["no-annotation"]
    configs = MetadataConfigs.from_dataset_card_data(data)
    declared = [s for s in SPLITS if manifest["splits"][s]]
    assert [f["split"] for f in configs["default"]["data_files"]] == declared
    (info,) = DatasetInfosDict.from_dataset_card_data(data).values()
    assert info.features == article_features()
    assert {name: split.num_examples for name, split in info.splits.items()} == {s: manifest["splits"][s] for s in declared}
    sizes = {s: sum((rich / f).stat().st_size for f in manifest["files"] if f.startswith(f"data/{s}-")) for s in declared}
    assert {name: split.num_bytes for name, split in info.splits.items()} == sizes


def test_card_body_follows_the_hub_template(rich: Path) -> None:
    text = (rich / "README.md").read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1]
    for heading in ("# Dataset Card for Rich Corpus", "## Dataset Details", "### Dataset Description",
                    "### Dataset Sources", "## Uses", "### Direct Use", "### Out-of-Scope Use", "## Dataset Structure",
                    "## Dataset Creation", "### Curation Rationale", "### Source Data",
                    "#### Data Collection and Processing", "#### Who are the source data producers?",
                    "#### Personal and Sensitive Information", "## Bias, Risks, and Limitations",
                    "### Recommendations", "## Citation"):
        assert f"\n{heading}\n" in f"\n{body}", heading
    assert not re.search(r"\{\{[a-z_]+\}\}", body)
    for loader in ("load_dataset(", "pd.read_parquet(", "pq.ParquetDataset(", "pl.scan_parquet(", "duckdb.sql("):
        assert loader in body
    assert render_bibtex(load_config(rich.parent / "corpus.toml")) in body
    assert "| `published_at` |" in body and "| `images` |" in body


# --------------------------------------------------------------------------- citation


def _validate_cff(text: str) -> dict:
    cff = yaml.safe_load(text)
    # The schema validates strings: YAML dates are cast first, as its $comment asks of tools.
    as_json = json.loads(json.dumps(cff, default=lambda d: d.isoformat() if isinstance(d, dt.date) else str(d)))
    schema = json.loads(CFF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(as_json)
    return cff


def test_citation_cff_is_valid_with_every_key(rich: Path) -> None:
    cff = _validate_cff((rich / describe.CITATION_FILE).read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert cff["title"] == "Rich Corpus" and cff["version"] == "1.2.0"
    assert cff["date-released"] == dt.date(2026, 3, 1)
    assert cff["doi"] == "10.5281/zenodo.1234567" and cff["license"] == "CC-BY-4.0"
    assert cff["url"] == "https://huggingface.co/datasets/example-org/rich-corpus"
    assert cff["authors"] == [{"family-names": "Doe", "given-names": "Jane"}, {"name": "News Corpus Lab"}]


def test_citation_cff_without_release_date_or_spdx_licence(tmp_path: Path) -> None:
    config = _repo_config_without_release_date(tmp_path)
    assert config.release_date is None
    cff = _validate_cff(render_cff(config))
    assert "date-released" not in cff, "the wall clock must never stand in for a release date"
    assert "license" not in cff and "doi" not in cff
    assert config.license_note in cff["abstract"]


@pytest.mark.parametrize("line, message", [
    ("release_date = 2026-03-01T10:00:00Z", "release_date must be a TOML date"),
    ('release_date = "2026-03-01"', "release_date must be a TOML date"),
    ('doi = "https://doi.org/10.5281/zenodo.1"', "bare DOI"),
    ('homepage = "example.org"', "http(s) URL"),
])
def test_config_rejects_bad_citation_keys(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "c.toml").write_text(f'name = "t"\nversion = "1.0.0"\n{line}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(tmp_path / "c.toml")


def _repo_config_without_release_date(tmp_path: Path):
    text = (REPO / "corpus.toml").read_text(encoding="utf-8")
    path = tmp_path / "no-date.toml"
    path.write_text("\n".join(l for l in text.splitlines() if not l.startswith("release_date")) + "\n")
    return load_config(path)


def test_bibtex_entry(tmp_path: Path) -> None:
    config = _repo_config_without_release_date(tmp_path)
    entry = render_bibtex(config)
    key = "news_corpus_sample_" + config.version.replace(".", "_")
    assert entry.startswith(f"@misc{{{key},") and entry.endswith("}")
    assert f"version = {{{config.version}}}" in entry and "year" not in entry
    assert entry.count("{") == entry.count("}")


# --------------------------------------------------------------------------- publishing


class _Commit:
    oid = "c0ffee" * 6 + "abcd"


def _ref(name: str) -> mock.Mock:
    ref = mock.Mock()
    ref.name = name
    return ref


def _api(tags: tuple[str, ...] = ()) -> mock.MagicMock:
    api = mock.MagicMock(name="HfApi")
    api.list_repo_refs.return_value = mock.Mock(tags=[_ref(t) for t in tags])
    api.upload_folder.return_value = _Commit()
    return api


def test_publish_uploads_the_release_and_tags_the_commit(rich: Path, no_network: None) -> None:
    api = _api(tags=("v1.1.0",))
    done = publish(rich, "example-org/rich-corpus", api=api)
    api.create_repo.assert_called_once_with("example-org/rich-corpus", repo_type="dataset", exist_ok=True, private=None)
    upload = api.upload_folder.call_args.kwargs
    assert upload["repo_id"] == "example-org/rich-corpus" and upload["repo_type"] == "dataset"
    assert Path(upload["folder_path"]) == rich
    assert upload["delete_patterns"] == "*", "shards of an earlier version must not survive next to this one"
    api.create_tag.assert_called_once_with("example-org/rich-corpus", tag="v1.2.0", revision=_Commit.oid,
                                           repo_type="dataset", tag_message="rich-corpus 1.2.0")
    assert (done.tag, done.commit) == ("v1.2.0", _Commit.oid)


def test_publish_refuses_an_existing_tag_a_tampered_release_and_a_bad_repo(rich: Path, tmp_path: Path,
                                                                        no_network: None) -> None:
    api = _api(tags=("v1.2.0",))
    with pytest.raises(PublishError, match="already has tag v1.2.0"):
        publish(rich, "example-org/rich-corpus", api=api)
    api.upload_folder.assert_not_called()
    with pytest.raises(PublishError, match="not ORG/NAME"):
        publish(rich, "rich-corpus", api=_api())
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(rich, copy)
    (copy / "DATASHEET.md").write_text("edited", encoding="utf-8")
    with pytest.raises(PublishError, match="DATASHEET.md"):
        publish(copy, "example-org/rich-corpus", api=_api())
    (copy / "MANIFEST.json").unlink()
    with pytest.raises(PublishError, match="no MANIFEST.json"):
        publish(copy, "example-org/rich-corpus", api=_api())


def test_publish_command(rich: Path, capsys: pytest.CaptureFixture[str], no_network: None) -> None:
    api = _api()
    with mock.patch("huggingface_hub.HfApi", return_value=api) as hfapi:
        code = main(["publish", str(rich), "--repo", "example-org/rich-corpus", "--token", "hf_test"])
    assert code == 0
    hfapi.assert_called_once_with(token="hf_test")
    out = capsys.readouterr().out
    assert 'load_dataset("example-org/rich-corpus", revision="v1.2.0")' in out
    with mock.patch("huggingface_hub.HfApi", return_value=_api(tags=("v1.2.0",))):
        assert main(["publish", str(rich), "--repo", "example-org/rich-corpus"]) == 1


def test_counts_are_written_with_their_noun_in_the_right_number() -> None:
    from builder.stats import agree, counted

    assert [counted(n, "article") for n in (0, 1, 2)] == ["0 articles", "1 article", "2 articles"]
    assert counted(1, "raw record") == "1 raw record" and counted(3, "raw record") == "3 raw records"
    assert counted(2, "datum", "data") == "2 data"
    assert [agree(n) for n in (0, 1, 2)] == ["are", "is", "are"]
    assert agree(1, "was", "were") == "was"

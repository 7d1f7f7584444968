"""diff: articles added, removed, edited and moved between releases, and the version bump they imply."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from builder.cli import main
from builder.config import load_config
from builder.diff import diff_releases
from builder.pipeline import build
from tests.conftest import CONFIG
from tests.synthetic import write_corpus

N = 30


def _build(raw: Path, out: Path, config_file: Path) -> Path:
    build(raw, out, load_config(config_file))
    return out


def _splits(release: Path) -> dict[str, str]:
    """id -> split of every article."""
    found = {}
    for path in sorted((release / "data").glob("*.parquet")):
        for article_id in pq.read_table(path, columns=["id"]).column("id").to_pylist():
            found[article_id] = path.name.split("-")[0]
    return found


def _lines(raw: Path) -> list[dict]:
    return [json.loads(line) for line in (raw / "part-00000.jsonl").read_text(encoding="utf-8").splitlines()]


def _rewrite(raw: Path, records: list[dict]) -> None:
    (raw / "part-00000.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                          encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build of N articles shared by the module; each test gets its own copy."""
    base = tmp_path_factory.mktemp("diff")
    (base / "corpus.toml").write_text(CONFIG, encoding="utf-8")
    write_corpus(base / "raw", N, seed=7)
    _build(base / "raw", base / "old", base / "corpus.toml")
    return base


@pytest.fixture
def old(built: Path, tmp_path: Path) -> Path:
    shutil.copytree(built / "raw", tmp_path / "raw")
    shutil.copytree(built / "old", tmp_path / "old")
    return tmp_path / "old"


def test_identical_rebuild_is_none(old: Path, tmp_path: Path, config_file: Path) -> None:
    new = _build(tmp_path / "raw", tmp_path / "new", config_file)
    d = diff_releases(old, new)
    assert (d.added, d.removed, d.changed, d.split_moves, d.unchanged) == (0, 0, 0, 0, N)
    assert d.files_differing == []
    assert d.bump == "none"


def test_one_added_article_is_minor_and_moves_nothing(old: Path, tmp_path: Path, config_file: Path) -> None:
    # The same seed with one more record: the first N records are the same.
    write_corpus(tmp_path / "raw2", N + 1, seed=7)
    new = _build(tmp_path / "raw2", tmp_path / "new", config_file)
    d = diff_releases(old, new)
    assert (d.added, d.removed, d.changed, d.split_moves) == (1, 0, 0, 0)
    assert d.bump == "minor"
    before, after = _splits(old), _splits(new)
    assert {k: after[k] for k in before} == before
    (added,) = set(after) - set(before)
    assert d.examples["added"] == [added]


def test_edited_text_is_major(old: Path, tmp_path: Path, config_file: Path) -> None:
    records = _lines(tmp_path / "raw")
    k = next(i for i, r in enumerate(records) if "url" in r and " said " in r["text"])
    records[k]["text"] = records[k]["text"].replace(" said ", " stated ", 1)  # the id follows the url
    _rewrite(tmp_path / "raw", records)
    new = _build(tmp_path / "raw", tmp_path / "new", config_file)
    d = diff_releases(old, new)
    assert (d.added, d.removed, d.changed, d.split_moves) == (0, 0, 1, 0)
    assert "text" in d.changed_fields and d.changed_fields["text"] == 1
    assert d.bump == "major"


def test_removed_article_is_major(old: Path, tmp_path: Path, config_file: Path) -> None:
    records = _lines(tmp_path / "raw")
    _rewrite(tmp_path / "raw", records[:5] + records[6:])
    new = _build(tmp_path / "raw", tmp_path / "new", config_file)
    d = diff_releases(old, new)
    assert (d.added, d.removed, d.changed, d.split_moves) == (0, 1, 0, 0)
    assert d.examples["removed"] == sorted(set(_splits(old)) - set(_splits(new)))
    assert d.bump == "major"


def test_split_move_is_major(old: Path, tmp_path: Path) -> None:
    config = tmp_path / "salted.toml"
    config.write_text('name = "test-corpus"\nversion = "1.0.0"\n[splits]\nsalt = "another salt"\n')
    new = _build(tmp_path / "raw", tmp_path / "new", config)
    d = diff_releases(old, new)
    assert d.split_moves > 0 and d.changed == 0
    assert sum(d.moves.values()) == d.split_moves
    assert d.bump == "major"


def test_reserialized_release_is_patch(old: Path, tmp_path: Path) -> None:
    config = tmp_path / "groups.toml"
    config.write_text('name = "test-corpus"\nversion = "1.0.0"\n[output]\nrow_group_rows = 3\n')
    new = _build(tmp_path / "raw", tmp_path / "new", config)
    d = diff_releases(old, new)
    assert d.records_identical
    assert any(f.startswith("data/") for f in d.files_differing)
    assert d.bump == "patch"


def test_cli_json_and_text(old: Path, tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_corpus(tmp_path / "raw2", N + 2, seed=7)
    new = _build(tmp_path / "raw2", tmp_path / "new", config_file)
    assert main(["diff", str(old), str(new), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {k: report[k] for k in ("added", "removed", "changed", "split_moves", "bump")} == {
        "added": 2, "removed": 0, "changed": 0, "split_moves": 0, "bump": "minor"}
    assert report["changed_fields"] == {} and len(report["examples"]["added"]) == 2
    assert main(["diff", str(new), str(old)]) == 0  # differences are not an error
    text = capsys.readouterr().out
    assert "removed 2" in text and "version bump: major" in text


def test_unreadable_input_exits_2(old: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(old), str(tmp_path / "nope")]) == 2
    assert "not a directory" in capsys.readouterr().err
    shard = next((old / "data").glob("*.parquet"))
    shard.write_bytes(b"not parquet")
    assert main(["diff", str(old), str(old)]) == 2
    assert "cannot read Parquet" in capsys.readouterr().err

"""release: a version is recorded once; rebuilding it must reproduce its bytes; the changelog follows."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from builder.cli import main
from builder.config import load_config
from builder.release import ReleaseRefused, changelog_entry, release, write_changelog
from tests.conftest import release_bytes
from tests.synthetic import write_corpus

N = 30


def _config(tmp_path: Path, version: str) -> Path:
    path = tmp_path / f"corpus-{version}.toml"
    path.write_text(f'name = "test-corpus"\nversion = "{version}"\n', encoding="utf-8")
    return path


def _args(tmp_path: Path, config: Path, raw: Path, *extra: str) -> list[str]:
    return ["release", "--raw", str(raw), "--config", str(config), "--out", str(tmp_path / "release"),
            "--releases", str(tmp_path / "releases"), "--changelog", str(tmp_path / "CHANGELOG.md"),
            "--workers", "1", *extra]


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    write_corpus(tmp_path / "raw", N, seed=11)
    return tmp_path / "raw"


def test_first_release_is_recorded_with_a_changelog(tmp_path: Path, raw: Path) -> None:
    assert main(_args(tmp_path, _config(tmp_path, "1.0.0"), raw)) == 0
    recorded = tmp_path / "releases" / "1.0.0" / "MANIFEST.json"
    assert recorded.read_bytes() == (tmp_path / "release" / "MANIFEST.json").read_bytes()
    log = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## 1.0.0\n" in log and f"- {N} articles: train " in log and "no earlier version recorded" in log
    assert dt.date.today().isoformat() not in log
    assert not re.search(r"\d{4}-\d{2}-\d{2}", log)


def test_releasing_twice_identically_is_ok(tmp_path: Path, raw: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _args(tmp_path, _config(tmp_path, "1.0.0"), raw)
    assert main(args) == 0
    log = (tmp_path / "CHANGELOG.md").read_bytes()
    assert main(args) == 0
    assert "already released" in capsys.readouterr().out
    assert (tmp_path / "CHANGELOG.md").read_bytes() == log


def test_same_version_with_other_bytes_is_refused(tmp_path: Path, raw: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, "1.0.0")
    assert main(_args(tmp_path, config, raw)) == 0
    recorded = tmp_path / "releases" / "1.0.0" / "MANIFEST.json"
    before = recorded.read_bytes(), release_bytes(tmp_path / "release"), (tmp_path / "CHANGELOG.md").read_bytes()
    write_corpus(tmp_path / "raw2", N + 1, seed=11)
    assert main(_args(tmp_path, config, tmp_path / "raw2")) == 1
    err = capsys.readouterr().err
    assert "version 1.0.0 was released with different bytes; bump the version" in err
    assert "data/" in err
    assert (recorded.read_bytes(), release_bytes(tmp_path / "release"), (tmp_path / "CHANGELOG.md").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporaries left


def test_next_version_with_previous_data_logs_the_diff(tmp_path: Path, raw: Path) -> None:
    assert main(_args(tmp_path, _config(tmp_path, "1.0.0"), raw)) == 0
    (tmp_path / "release").rename(tmp_path / "v1")
    write_corpus(tmp_path / "raw2", N + 1, seed=11)
    args = _args(tmp_path, _config(tmp_path, "1.1.0"), tmp_path / "raw2", "--previous", str(tmp_path / "v1"))
    assert main(args) == 0
    log = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert log.index("## 1.1.0") < log.index("## 1.0.0")
    assert "since 1.0.0: articles added 1, removed 0, changed 0, moved between splits 0 (a minor change)" in log
    assert (tmp_path / "releases" / "1.1.0" / "MANIFEST.json").is_file()


def test_release_replacing_the_previous_one_diffs_against_it(tmp_path: Path, raw: Path) -> None:
    # --out still holds 1.0.0, intact, so its articles are compared without --previous.
    assert main(_args(tmp_path, _config(tmp_path, "1.0.0"), raw)) == 0
    write_corpus(tmp_path / "raw2", N + 1, seed=11)
    assert main(_args(tmp_path, _config(tmp_path, "1.1.0"), tmp_path / "raw2")) == 0
    assert "articles added 1" in (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")


def test_without_previous_data_the_counts_delta_is_logged(tmp_path: Path, raw: Path) -> None:
    assert main(_args(tmp_path, _config(tmp_path, "1.0.0"), raw)) == 0
    (tmp_path / "release").rename(tmp_path / "elsewhere")
    write_corpus(tmp_path / "raw2", N + 1, seed=11)
    assert main(_args(tmp_path, _config(tmp_path, "1.1.0"), tmp_path / "raw2")) == 0
    log = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "since 1.0.0 (counts from the two manifests): published +1" in log


def test_too_small_a_bump_is_warned_about(tmp_path: Path, raw: Path) -> None:
    release(raw, _config(tmp_path, "1.0.0"), tmp_path / "release", tmp_path / "releases", tmp_path / "CHANGELOG.md")
    records = (raw / "part-00000.jsonl").read_text(encoding="utf-8").splitlines()
    (raw / "part-00000.jsonl").write_text("\n".join(records[1:]) + "\n", encoding="utf-8")
    outcome = release(raw, _config(tmp_path, "1.0.1"), tmp_path / "release", tmp_path / "releases",
                      tmp_path / "CHANGELOG.md")
    assert outcome.diff is not None and outcome.diff.removed == 1
    assert outcome.warnings and "MAJOR" in outcome.warnings[0]


def test_refusal_leaves_the_recorded_manifest(tmp_path: Path, raw: Path) -> None:
    config = _config(tmp_path, "2.0.0")
    release(raw, config, tmp_path / "release", tmp_path / "releases", tmp_path / "CHANGELOG.md")
    recorded = tmp_path / "releases" / "2.0.0" / "MANIFEST.json"
    manifest = json.loads(recorded.read_text(encoding="utf-8"))
    manifest["files"]["README.md"]["sha256"] = "0" * 64
    recorded.write_text(json.dumps(manifest), encoding="utf-8")
    tampered = recorded.read_bytes()
    with pytest.raises(ReleaseRefused, match="README.md"):
        release(raw, config, tmp_path / "release", tmp_path / "releases", tmp_path / "CHANGELOG.md")
    assert recorded.read_bytes() == tampered


def test_release_date_comes_from_the_config_only(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, "1.0.0"))
    manifest = {"counts": {"read": 2, "published": 2, "quarantined": 0, "duplicates": 0},
                "splits": {"train": 2, "validation": 0, "test": 0}, "builder_version": "0.1.0",
                "normalizer_version": "1.0.0", "raw_fingerprint": "sha256:ab"}
    assert changelog_entry(config, manifest, None, None, None).startswith("## 1.0.0\n")
    config.source["release_date"] = dt.date(2025, 1, 31)
    assert changelog_entry(config, manifest, None, None, None).startswith("## 1.0.0 (2025-01-31)\n")


def test_changelog_entry_for_a_version_is_replaced_not_repeated(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    write_changelog(path, "1.0.0", "## 1.0.0\n\n- first\n")
    write_changelog(path, "1.1.0", "## 1.1.0\n\n- second\n")
    write_changelog(path, "1.1.0", "## 1.1.0\n\n- second, again\n")
    text = path.read_text(encoding="utf-8")
    assert text.count("## 1.1.0") == 1 and "second, again" in text
    assert text.index("## 1.1.0") < text.index("## 1.0.0")
    assert text.startswith("# Data changelog\n")


def test_bad_previous_is_a_usage_error(tmp_path: Path, raw: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _args(tmp_path, _config(tmp_path, "1.0.0"), raw, "--previous", str(tmp_path / "nope"))
    assert main(args) == 2
    assert "--previous" in capsys.readouterr().err
    assert not (tmp_path / "releases").exists()

"""verify: a release checked against its manifest, and against a rebuild from its raw captures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from builder.cli import main
from builder.config import load_config
from builder.pipeline import build
from builder.verify import compare_releases, verify_release
from tests.conftest import CONFIG
from tests.synthetic import write_corpus


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build shared by the module; each test gets its own copy to tamper with."""
    base = tmp_path_factory.mktemp("verify")
    (base / "corpus.toml").write_text(CONFIG, encoding="utf-8")
    write_corpus(base / "raw", 30, seed=4, bad_every=9)
    build(base / "raw", base / "out", load_config(base / "corpus.toml"))
    return base


@pytest.fixture
def release(built: Path, tmp_path: Path) -> Path:
    shutil.copytree(built / "raw", tmp_path / "raw")
    shutil.copytree(built / "out", tmp_path / "out")
    return tmp_path / "out"


def _manifest(release: Path) -> dict:
    return json.loads((release / "MANIFEST.json").read_text(encoding="utf-8"))


def _write_manifest(release: Path, manifest: dict) -> None:
    (release / "MANIFEST.json").write_text(json.dumps(manifest), encoding="utf-8")


def _shard(release: Path) -> Path:
    return next((release / "data").glob("train-*.parquet"))


def test_fresh_and_rebuilt_releases_verify(release: Path, tmp_path: Path, config_file: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_release(release) == []
    build(tmp_path / "raw", tmp_path / "again", load_config(config_file))
    assert verify_release(tmp_path / "again") == []
    assert compare_releases(release, tmp_path / "again") == []
    assert main(["verify", str(release)]) == 0
    assert capsys.readouterr().out == f"verified {len(_manifest(release)['files'])} files\n"


def test_flipped_byte_in_parquet_names_the_file(release: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shard = _shard(release)
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    rel = shard.relative_to(release).as_posix()
    problems = verify_release(release)
    assert [p for p in problems if p.startswith(f"{rel}: changed")], problems
    assert main(["verify", str(release)]) == 1
    assert f"{rel}: changed" in capsys.readouterr().out


def test_missing_and_extra_files_are_caught(release: Path) -> None:
    (release / "DATASHEET.md").unlink()
    (release / "data" / "notes.txt").write_text("scratch")
    problems = verify_release(release)
    assert "DATASHEET.md: missing" in problems
    assert "data/notes.txt: extra file, not in the manifest" in problems
    assert len(problems) == 2


def test_edited_counts_are_caught(release: Path) -> None:
    manifest = _manifest(release)
    manifest["counts"]["published"] += 1
    _write_manifest(release, manifest)
    problems = verify_release(release)
    assert any(p.startswith("MANIFEST.json: counts do not reconcile") for p in problems), problems
    assert any(p.startswith("MANIFEST.json: splits sum to") for p in problems), problems


def test_quarantine_rows_must_match_counts(release: Path) -> None:
    manifest = _manifest(release)
    assert manifest["counts"]["quarantined"] == 3
    manifest["counts"]["quarantined"] -= 1
    manifest["counts"]["read"] -= 1  # still reconciles, but the quarantine file holds 3 rows
    _write_manifest(release, manifest)
    assert verify_release(release) == ["quarantine.jsonl: manifest gives 3 rows, counts.quarantined is 2"]


def test_rows_recorded_wrongly_are_caught(release: Path) -> None:
    manifest = _manifest(release)
    rel = _shard(release).relative_to(release).as_posix()
    manifest["files"][rel]["rows"] += 1
    manifest["splits"]["train"] += 1
    manifest["counts"]["published"] += 1
    manifest["counts"]["read"] += 1
    _write_manifest(release, manifest)
    problems = verify_release(release)
    assert problems == [f"{rel}: {manifest['files'][rel]['rows'] - 1} rows, manifest gives {manifest['files'][rel]['rows']}"]


def test_incomplete_shards_are_caught(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('name = "t"\nversion = "1.0.0"\n[output]\nrows_per_shard = 8\n')
    write_corpus(tmp_path / "raw", 30, seed=2)
    build(tmp_path / "raw", tmp_path / "out", load_config(config))
    out = tmp_path / "out"
    assert verify_release(out) == []
    manifest = _manifest(out)
    second = "data/train-00001-of-00003.parquet"
    assert second in manifest["files"]
    rows = manifest["files"].pop(second)["rows"]
    (out / second).unlink()
    for key in ("published", "read"):
        manifest["counts"][key] -= rows
    manifest["splits"]["train"] -= rows  # the counts agree; only the shard names give it away
    _write_manifest(out, manifest)
    assert verify_release(out) == [f"{second}: shard missing"]


def test_broken_manifest(release: Path) -> None:
    (release / "MANIFEST.json").write_text("{not json", encoding="utf-8")
    (problem,) = verify_release(release)
    assert problem.startswith("MANIFEST.json: not valid JSON")
    _write_manifest(release, {"name": "x", "files": {}})
    problems = verify_release(release)
    assert "MANIFEST.json: missing required key 'counts'" in problems
    (release / "MANIFEST.json").unlink()
    assert verify_release(release)[0].startswith("MANIFEST.json: missing")


def test_manifest_paths_cannot_leave_the_release(release: Path) -> None:
    manifest = _manifest(release)
    manifest["files"]["../outside.txt"] = {"sha256": "0" * 64, "rows": None}
    _write_manifest(release, manifest)
    assert verify_release(release) == ["../outside.txt: manifest lists a path that cannot be part of the release"]


def test_rebuild_passes_untouched_and_fails_tampered(release: Path, tmp_path: Path, config_file: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    args = ["verify", str(release), "--rebuild", "--raw", str(tmp_path / "raw"), "--config", str(config_file),
            "--workers", "1"]
    assert main(args) == 0
    assert "a rebuild from" in capsys.readouterr().out
    card = release / "README.md"
    card.write_text(card.read_text(encoding="utf-8") + "\nedited\n", encoding="utf-8")
    assert main(args) == 1
    out = capsys.readouterr().out.splitlines()
    assert "README.md: differs" in out
    assert [line for line in out if line.startswith("README.md: changed")]


def test_rebuild_from_other_raw_names_the_manifest_keys(release: Path, tmp_path: Path, config_file: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    write_corpus(tmp_path / "raw2", 31, seed=4, bad_every=9)
    args = ["verify", str(release), "--rebuild", "--raw", str(tmp_path / "raw2"), "--config", str(config_file)]
    assert main(args) == 1
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("MANIFEST.json: differs")]
    assert "raw_fingerprint" in line and "config_sha256" not in line


def test_usage_errors_exit_2(tmp_path: Path, release: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(tmp_path / "nope")]) == 2
    assert main(["verify", str(release), "--rebuild"]) == 2
    assert "--raw" in capsys.readouterr().err


def test_takedowns_count_against_their_file(release: Path) -> None:
    manifest = _manifest(release)
    manifest["counts"]["takedowns"] = manifest["counts"].get("takedowns", 0) + 1
    manifest["counts"]["read"] += 1
    _write_manifest(release, manifest)
    (problem,) = verify_release(release)
    assert problem.startswith("takedowns.jsonl: ")

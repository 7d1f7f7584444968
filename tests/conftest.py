"""Shared fixtures: offline `datasets`, a helper that builds a release from files."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED_NAME = "000_3833d4099e5c25ab"
SEED_TXT = REPO / "raw" / f"{SEED_NAME}.txt"

# Tests never reach a hub: datasets and huggingface_hub run offline with a private cache.
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"

# Property-test budgets: "ci" (the default) runs enough examples to matter in seconds;
# HYPOTHESIS_PROFILE=long runs ten times as many. Properties that run a whole build (~0.3 s
# each) take BUILD_EXAMPLES_SHARE of the profile's examples.
try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("ci", max_examples=200, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    settings.register_profile("long", max_examples=2000, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # hypothesis comes with the test extra; without it only its tests are skipped
    pass

BUILD_EXAMPLES_SHARE = 0.15


def build_examples() -> int:
    """Examples for a property that runs a whole build: 30 under "ci", 300 under "long"."""
    from hypothesis import settings

    return max(1, round(settings.default.max_examples * BUILD_EXAMPLES_SHARE))


CONFIG = """\
name = "test-corpus"
version = "1.0.0"
license = "other"
description = "test corpus"
authors = ["Test Author"]
"""


@pytest.fixture(autouse=True)
def _hf_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.getbasetemp() / "hf-home"))


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def write_jsonl(path: Path, records: list[dict | bytes]) -> Path:
    """Write records (dicts as JSON, bytes verbatim) one per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for record in records:
            line = record if isinstance(record, bytes) else json.dumps(record, ensure_ascii=False).encode()
            handle.write(line + b"\n")
    return path


def copy_seed(raw: Path) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED_TXT, raw / SEED_TXT.name)
    shutil.copy(SEED_TXT.with_suffix("").with_suffix(".meta.json"), raw / f"{SEED_NAME}.meta.json")


def release_bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/*.json from the current normalizer (review the diff)")

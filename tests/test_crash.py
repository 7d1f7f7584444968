"""Crash safety: a build killed at any point leaves the old release intact or the new one complete."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from builder.config import load_config
from builder.pipeline import TMP_PREFIX, _clean_leftovers, build
from tests.conftest import REPO, release_bytes
from tests.synthetic import write_corpus

N_RECORDS = 2_000
# Near-duplicate hashing is off: it is half the per-record time and nothing here depends on it.
CONFIG = 'name = "crash"\nversion = "1.0.0"\n[near_duplicates]\nenabled = false\n'
# A pid above the kernel's largest (PID_MAX_LIMIT is 2**22): no live process has it.
DEAD_PID = 2**22 + 17

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def _command(raw: Path, out: Path, config: Path) -> list[str]:
    return [sys.executable, "-m", "builder", "build", "--raw", str(raw), "--out", str(out),
            "--config", str(config), "--workers", "2", "--quiet"]


def _start(args: list[str]) -> subprocess.Popen:
    # A session of its own, so the kill takes the build and anything it started, and only that.
    return subprocess.Popen(args, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill(proc: subprocess.Popen) -> bool:
    """SIGKILL the build's process group; True if it was still running."""
    running = proc.poll() is None
    if running:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()  # reap it: a zombie would still count as alive
    return running


def _temporaries(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f"{TMP_PREFIX}{out.name}-"))


def _assert_complete(out: Path) -> None:
    """Every file the MANIFEST lists is there with its SHA-256, and nothing else is."""
    manifest = json.loads((out / "MANIFEST.json").read_bytes())
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"MANIFEST.json"}
    assert present == set(manifest["files"])
    for rel, entry in manifest["files"].items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == entry["sha256"], rel


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two corpora, the release of each, and how long a build of the second takes."""
    base = tmp_path_factory.mktemp("crash")
    config = base / "c.toml"
    config.write_text(CONFIG)
    write_corpus(base / "raw_a", N_RECORDS // 4, seed=11)
    write_corpus(base / "raw_b", N_RECORDS, seed=12, bad_every=50)
    build(base / "raw_a", base / "ref_a", load_config(config))
    started = time.monotonic()
    proc = _start(_command(base / "raw_b", base / "ref_b", config))
    _, stderr = proc.communicate()
    assert proc.returncode == 0, stderr.decode()
    duration = time.monotonic() - started
    refs = {"a": release_bytes(base / "ref_a"), "b": release_bytes(base / "ref_b")}
    assert refs["a"] != refs["b"]
    return {"base": base, "config": config, "refs": refs, "duration": duration}


def _run_killed(corpora: dict, out: Path, *, old: bool, when: Callable[[subprocess.Popen], None]) -> str:
    """Start a build of raw_b into `out` (over the release of raw_a if `old`), kill it when told;
    returns what `out` holds afterwards: "old", "new" or "none"."""
    base, config, refs = corpora["base"], corpora["config"], corpora["refs"]
    shutil.rmtree(out, ignore_errors=True)
    if old:
        shutil.copytree(base / "ref_a", out)
    proc = _start(_command(base / "raw_b", out, config))
    when(proc)
    finished = not _kill(proc)
    if finished:
        assert proc.returncode == 0, proc.stderr
    if not out.exists():
        assert not old and not finished
        return "none"
    now = release_bytes(out)
    assert now in (refs["a"], refs["b"]) if old else now == refs["b"]
    if now == refs["b"]:
        _assert_complete(out)
        return "new"
    assert not finished  # the kill came before the swap: the old release is untouched, byte for byte
    return "old"


def _after(seconds: float) -> Callable[[subprocess.Popen], None]:
    def wait(proc: subprocess.Popen) -> None:
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            pass
    return wait


def _once(out: Path, condition: Callable[[Path], bool]) -> Callable[[subprocess.Popen], None]:
    """Wait until the build's temporary directory satisfies `condition` (or the build ends)."""
    def wait(proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            tmps = [out.parent / name for name in _temporaries(out)]
            if any(condition(t) for t in tmps):
                return
            time.sleep(0.002)
    return wait


def test_killed_builds_leave_old_or_complete_release(corpora: dict) -> None:
    out = corpora["base"] / "out"
    duration = corpora["duration"]
    # Five kills spread over the run, each over an existing release.
    outcomes = [_run_killed(corpora, out, old=True, when=_after(duration * fraction))
                for fraction in (0.1, 0.3, 0.5, 0.7, 0.9)]
    # Kills at the stages that matter: data written, docs written (just before the swap).
    outcomes.append(_run_killed(corpora, out, old=True, when=_once(out, lambda t: any((t / "data").glob("*.parquet")))))
    outcomes.append(_run_killed(corpora, out, old=True, when=_once(out, lambda t: (t / "MANIFEST.json").exists())))
    assert "old" in outcomes  # at least one kill landed mid-build
    # And with no release yet: afterwards either none or the complete new one.
    _run_killed(corpora, out, old=False, when=_after(duration * 0.6))

    # The next build cleans up what the killed ones left and puts the new release in place.
    build(corpora["base"] / "raw_b", out, load_config(corpora["config"]))
    assert release_bytes(out) == corpora["refs"]["b"]
    assert _temporaries(out) == []


_KILL_AT_RENAME = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import builder.pipeline as pipeline
    from builder.config import load_config

    raw, out, config, mode = Path(sys.argv[1]), Path(sys.argv[2]).resolve(), Path(sys.argv[3]), sys.argv[4]
    pipeline._exchange = lambda a, b: False  # the fallback: two renames with a gap between
    real_rename = os.rename

    def rename(src, dst, *args, **kwargs):
        src, dst = Path(src), Path(dst)
        if mode == "between_renames" and dst == out and src.name.startswith(pipeline.TMP_PREFIX):
            os.kill(os.getpid(), signal.SIGKILL)  # the old release is aside, the new one not yet in
        result = real_rename(src, dst, *args, **kwargs)
        if mode == "while_deleting_old" and dst.name.endswith("-trash"):
            (dst / "MANIFEST.json").unlink()  # half deleted
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    os.rename = rename
    pipeline.build(raw, out, load_config(config))
""")


@pytest.mark.parametrize("mode", ["between_renames", "while_deleting_old"])
def test_kill_inside_the_fallback_swap_never_loses_the_old_release(tmp_path: Path, mode: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(CONFIG)
    write_corpus(tmp_path / "raw_a", 10, seed=1)
    write_corpus(tmp_path / "raw_b", 12, seed=2)
    out = tmp_path / "out"
    build(tmp_path / "raw_b", out, load_config(config))
    refs = {"b": release_bytes(out)}
    shutil.rmtree(out)
    build(tmp_path / "raw_a", out, load_config(config))
    refs["a"] = release_bytes(out)
    proc = _start([sys.executable, "-c", _KILL_AT_RENAME, str(tmp_path / "raw_b"), str(out), str(config), mode])
    _, stderr = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, stderr.decode()
    if mode == "between_renames":
        assert not out.exists()
        assert any(name.endswith("-old") for name in _temporaries(out))
        _clean_leftovers(out)  # what the next build does first
        assert release_bytes(out) == refs["a"]
    else:
        assert release_bytes(out) == refs["b"]
        _clean_leftovers(out)
        assert release_bytes(out) == refs["b"]  # a half-deleted old release is never put back
    assert _temporaries(out) == []
    build(tmp_path / "raw_b", out, load_config(config))
    assert release_bytes(out) == refs["b"] and _temporaries(out) == []


def test_leftovers_are_matched_exactly_and_live_builds_are_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "rel[1]"  # glob characters in the name must not widen the match
    other = tmp_path / f"{TMP_PREFIX}rel1-{DEAD_PID}-old"  # another output's release, set aside
    stale = tmp_path / f"{TMP_PREFIX}rel[1]-{DEAD_PID}"
    trash = tmp_path / f"{TMP_PREFIX}rel[1]-{DEAD_PID}-trash"
    huge = tmp_path / f"{TMP_PREFIX}rel[1]-{'9' * 30}"  # no such process can exist
    unrelated = tmp_path / f"{TMP_PREFIX}rel[1]-notes"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f"{TMP_PREFIX}rel[1]-{sleeper.pid}"
        for path in (other, stale, trash, huge, unrelated, live):
            path.mkdir()
        _clean_leftovers(out)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([other.name, unrelated.name, live.name])
    finally:
        sleeper.kill()
        sleeper.wait()
    _clean_leftovers(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([other.name, unrelated.name])
    assert not out.exists()  # an "-old" of another output is never taken for this one's


def test_exchange_swap_replaces_release_in_one_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from builder import pipeline

    config = tmp_path / "c.toml"
    config.write_text(CONFIG)
    write_corpus(tmp_path / "raw", 5, seed=1)
    build(tmp_path / "raw", tmp_path / "out", load_config(config))
    first = release_bytes(tmp_path / "out")
    swapped = []
    real = pipeline._exchange
    monkeypatch.setattr(pipeline, "_exchange", lambda a, b: swapped.append(real(a, b)) or swapped[-1])
    shutil.rmtree(tmp_path / "raw")
    write_corpus(tmp_path / "raw", 7, seed=2)
    build(tmp_path / "raw", tmp_path / "out", load_config(config))
    assert swapped  # where the system cannot exchange, the two-rename fallback ran instead
    assert release_bytes(tmp_path / "out") != first
    _assert_complete(tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml", "out", "raw"]

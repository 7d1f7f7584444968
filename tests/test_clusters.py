"""Near-duplicate clusters, takedowns and the time split, through whole builds."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from builder.cluster import NearDupConfig, band_keys, representatives
from builder.config import load_config
from builder.pipeline import build
from tests.conftest import write_jsonl
from tests.synthetic import make_article

WIRE = (
    "The Kremlin has denounced as baseless hysteria weeks-long US claims that Russia is about to invade "
    "Ukraine, as some Russian troops deployed near the Ukrainian border are returning to their permanent "
    "bases following the completion of drills. Kremlin spokesman Dmitry Peskov made the remark in a news "
    "briefing in the capital, Moscow, on Tuesday, saying Russian President Vladimir Putin would prefer that "
    "Russia and the West calmly discuss each others' concerns.\n\nPeskov said that Russian troops always "
    "return to their permanent bases after exercises but some Western governments were unable to stop "
    "inventing stories about a looming war between Russia and Ukraine."
)


def _rows(out: Path) -> list[dict]:
    return pq.read_table(out / "data").to_pylist()


def test_band_keys_are_stable_and_similar_texts_collide() -> None:
    config = NearDupConfig()
    a = band_keys(WIRE, config)
    assert a == band_keys(WIRE, config) and len(a) == config.bands
    rewrite = WIRE.replace("on Tuesday", "on Tuesday afternoon")
    assert sum(x == y for x, y in zip(a, band_keys(rewrite, config))) >= 1
    other = band_keys("A completely different story about a football match in Madrid on Sunday evening.", config)
    assert not set(a) & set(other)


def test_cluster_representative_is_earliest_then_smallest_id() -> None:
    import datetime as dt

    import numpy as np
    import pyarrow as pa

    keys = np.array([[1, 2], [3, 2], [9, 8], [4, 5]], dtype=np.uint64)
    when = pa.array([dt.datetime(2022, 1, 2, tzinfo=dt.UTC), dt.datetime(2022, 1, 1, tzinfo=dt.UTC), None, None],
                    pa.timestamp("us", tz="UTC"))
    assert representatives(when, keys).tolist() == [1, 1, 2, 3]


def _reference_representatives(published: list, bands) -> list[int]:
    """Connected components by brute force over all pairs, then the earliest-then-first member."""
    import datetime as dt

    n = len(published)
    component = list(range(n))
    changed = True
    while changed:
        changed = False
        for i in range(n):
            for j in range(n):
                if component[i] != component[j] and any(bands[i][b] == bands[j][b] for b in range(len(bands[i]))):
                    component[i] = component[j] = min(component[i], component[j])
                    changed = True
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return [min((k for k in range(n) if component[k] == component[i]), key=lambda k: (published[k] or far, k))
            for i in range(n)]


def test_representatives_match_brute_force() -> None:
    """Union-find over sorted bands, pointer jumping and the vectorized choice of representative
    give what brute-force components give, on random collision patterns with ties and gaps."""
    import datetime as dt

    import numpy as np
    import pyarrow as pa

    rng = random.Random(8)
    for _ in range(150):
        n, width = rng.randint(1, 40), rng.randint(1, 4)
        bands = np.array([[rng.randint(0, 2 * n) for _ in range(width)] for _ in range(n)], dtype=np.uint64)
        published = [None if rng.random() < 0.3 else dt.datetime(2022, 1, rng.randint(1, 5), tzinfo=dt.UTC)
                     for _ in range(n)]
        got = representatives(pa.array(published, pa.timestamp("us", tz="UTC")), bands).tolist()
        assert got == _reference_representatives(published, bands.tolist())


def test_wire_copies_across_outlets_share_cluster_and_split(tmp_path: Path, config_file: Path) -> None:
    rng = random.Random(3)
    records = [make_article(rng, i) for i in range(30)]
    copies = [
        {"text": WIRE, "outlet": "Reuters", "url": "https://www.reuters.com/world/kremlin-hysteria",
         "published": "2022-02-15T10:00:00Z"},
        {"text": "Kremlin rejects claims\n\n" + WIRE.replace("on Tuesday", "on Tuesday afternoon") + "\n\nRead more: Ukraine crisis explained",
         "outlet": "Press TV", "url": "https://www.presstv.ir/Detail/2022/02/15/1/Kremlin", "published": "2022-02-15T12:00:00Z"},
        {"text": WIRE.replace("baseless hysteria", "“baseless hysteria”"), "outlet": "Al Jazeera",
         "url": "https://www.aljazeera.com/news/2022/2/15/kremlin", "published": "2022-02-15T11:00:00Z"},
    ]
    write_jsonl(tmp_path / "raw" / "a.jsonl", records + copies)
    result = build(tmp_path / "raw", tmp_path / "out", load_config(config_file))
    assert result.counts["published"] == 33
    rows = {r["url"]: r for r in _rows(tmp_path / "out")}
    wire = [rows[c["url"]] for c in copies]
    assert len({r["cluster_id"] for r in wire}) == 1
    reuters = wire[0]
    assert {r["cluster_id"] for r in wire} == {reuters["id"]}  # the earliest published copy
    splits = {}
    for split_file in (tmp_path / "out" / "data").glob("*.parquet"):
        for r in pq.read_table(split_file).to_pylist():
            splits[r["id"]] = split_file.name.split("-")[0]
    assert len({splits[r["id"]] for r in wire}) == 1
    others = [r for r in rows.values() if r["url"] not in {c["url"] for c in copies}]
    assert all(r["cluster_id"] == r["id"] for r in others)


def test_takedowns_remove_and_are_counted(tmp_path: Path) -> None:
    rng = random.Random(4)
    records = [make_article(rng, i) for i in range(10)]
    write_jsonl(tmp_path / "raw" / "a.jsonl", records)
    (tmp_path / "takedowns.toml").write_text(
        f'[[takedown]]\nurl = "{records[0]["url"]}#frag"\nreason = "publisher request"\n'
        '[[takedown]]\nid = "0000000000000000000000000000dead"\nreason = "no such article"\n'
    )
    (tmp_path / "c.toml").write_text('name = "t"\nversion = "1.0.0"\ntakedowns = "takedowns.toml"\n')
    result = build(tmp_path / "raw", tmp_path / "out", load_config(tmp_path / "c.toml"))
    assert result.counts["takedowns"] == 1
    assert result.counts["read"] == result.counts["published"] + result.counts["takedowns"] == 10
    assert records[0]["url"] not in {r["url"] for r in _rows(tmp_path / "out")}
    (entry,) = [json.loads(l) for l in (tmp_path / "out" / "takedowns.jsonl").read_text().splitlines()]
    assert entry["reason"] == "publisher request"
    manifest = json.loads((tmp_path / "out" / "MANIFEST.json").read_text())
    assert manifest["counts"]["takedowns"] == 1


def test_takedown_without_reason_is_refused(tmp_path: Path) -> None:
    from builder.cli import main

    write_jsonl(tmp_path / "raw" / "a.jsonl", [{"text": "Body.", "outlet": "X"}])
    (tmp_path / "t.toml").write_text('[[takedown]]\nid = "abc"\n')
    (tmp_path / "c.toml").write_text('name = "t"\nversion = "1.0.0"\ntakedowns = "t.toml"\n')
    code = main(["build", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "out"), "--config", str(tmp_path / "c.toml")])
    assert code == 2
    assert not (tmp_path / "out").exists()


def test_time_split_is_leak_free(tmp_path: Path) -> None:
    records = []
    topics = ["inflation in the euro area slowed", "a storm flooded coastal towns overnight",
              "the football final ended in a draw", "parliament passed the budget after a long debate"]
    for i, day in enumerate(["2021-06-01", "2022-03-01", "2022-09-01", "2023-02-01"]):
        records.append({"text": f"Officials said {topics[i]}, according to reports on day {i}.",
                        "outlet": "X", "url": f"https://example.com/{i}", "published": f"{day}T12:00:00Z"})
    records.append({"text": "Undated story about the weather and rain in the north.", "outlet": "X",
                    "url": "https://example.com/undated"})
    # A later rewrite of the 2021 story, published in the test period: it must follow its cluster.
    records.append({**records[0], "text": records[0]["text"] + " Updated with reactions.",
                    "url": "https://example.com/0-rewrite", "published": "2023-03-01T12:00:00Z"})
    write_jsonl(tmp_path / "raw" / "a.jsonl", records)
    (tmp_path / "c.toml").write_text(
        'name = "t"\nversion = "1.0.0"\n[splits]\nmode = "time"\ntrain_before = 2022-01-01\ntest_from = 2022-08-01\n'
        '[near_duplicates]\nshingle_words = 2\n'
    )
    build(tmp_path / "raw", tmp_path / "out", load_config(tmp_path / "c.toml"))
    split_of = {}
    for f in (tmp_path / "out" / "data").glob("*.parquet"):
        for r in pq.read_table(f).to_pylist():
            split_of[r["url"]] = f.name.split("-")[0]
    assert split_of["https://example.com/0"] == "train"
    assert split_of["https://example.com/0-rewrite"] == "train"  # with its cluster, no leak
    assert split_of["https://example.com/1"] == "validation"
    assert split_of["https://example.com/2"] == "test"
    assert split_of["https://example.com/3"] == "test"
    assert split_of["https://example.com/undated"] == "train"


@pytest.mark.parametrize("bad", ['mode = "time"\n', 'mode = "weekly"\n'])
def test_bad_time_split_config_is_refused(tmp_path: Path, bad: str) -> None:
    from builder.config import ConfigError

    (tmp_path / "c.toml").write_text(f'name = "t"\nversion = "1.0.0"\n[splits]\n{bad}')
    with pytest.raises(ConfigError):
        load_config(tmp_path / "c.toml")


def _reference_shingle_hashes(text: str, k: int) -> set[int]:
    """The shingle hashes computed the slow, obvious way: build each shingle's string."""
    import re

    from builder.cluster import _params

    params = _params(128, 16, 1)
    base, mask = int(params.base), (1 << 64) - 1
    words = re.findall(r"\w+", text.casefold())
    shingles = {" ".join(words[i : i + k]) for i in range(max(1, len(words) - k + 1))}

    def mix(h: int) -> int:
        h ^= h >> 33
        h = (h * 0xFF51AFD7ED558CCD) & mask
        h ^= h >> 33
        h = (h * 0xC4CEB9FE1A85EC53) & mask
        return (h ^ (h >> 33)) >> 32

    return {mix(sum((ord(c) + 1) * pow(base, i, 1 << 64) for i, c in enumerate(s)) & mask) for s in shingles}


SHINGLE_CASES = [
    WIRE, "", "   ...  ", "one two", "Über straße — «Привет, мир» 東京 test_word x", "a b c d e f g h",
    "Tabs\tand\nnewlines\u00a0and\u2009thin spaces", "Straße STRASSE ǅ ﬁne", "emoji 😀 and 𠀀𝟘 astral words_",
    "\u201cQuoted\u201d \u2014 dashes\u2026 and \u00bd \u0660\u0661 digits", "ends with a word", "!starts after a gap",
    "repeated repeated repeated repeated repeated repeated",
]


@pytest.mark.parametrize("text", SHINGLE_CASES)
def test_shingle_hashes_match_the_obvious_definition(text: str) -> None:
    from builder.cluster import _params, shingle_hashes

    hashes, offsets = shingle_hashes([text], 5, _params(128, 16, 1))
    assert offsets.tolist() == [0]
    assert set(hashes.tolist()) == _reference_shingle_hashes(text, 5)


def test_shingle_hashes_of_many_bodies_keep_each_body_apart() -> None:
    """Bodies hashed in one batch give each body exactly its own shingles, in every order."""
    from builder.cluster import _params, shingle_hashes

    rng = random.Random(4)
    for _ in range(20):
        texts = rng.sample(SHINGLE_CASES, k=rng.randint(1, len(SHINGLE_CASES)))
        hashes, offsets = shingle_hashes(texts, 5, _params(128, 16, 1))
        bounds = offsets.tolist() + [hashes.size]
        for text, lo, hi in zip(texts, bounds, bounds[1:]):
            assert set(hashes[lo:hi].tolist()) == _reference_shingle_hashes(text, 5)


def test_band_keys_of_a_batch_equal_band_keys_one_by_one() -> None:
    from builder.cluster import band_keys_many

    config = NearDupConfig()
    texts = SHINGLE_CASES * 300  # more than one internal batch
    assert band_keys_many(texts, config) == [band_keys(t, config) for t in texts]


def test_minhash_estimates_jaccard_without_bias() -> None:
    """The share of equal signature rows estimates Jaccard similarity: over many pairs of known
    similarity, the standardized errors have mean near 0 and spread near 1."""
    import numpy as np

    from builder.cluster import _params, minhash

    params = _params(128, 16, 1)
    rng = random.Random(11)
    z = []
    for trial in range(300):
        n, j = 300, rng.uniform(0.2, 0.9)
        common = round(n * 2 * j / (1 + j))
        a = np.array(rng.sample(range(1 << 32), n), dtype=np.uint32)
        b = np.concatenate([a[:common], np.array(rng.sample(range(1 << 32), n - common), dtype=np.uint32)])
        truth = common / (2 * n - common)
        estimate = float((minhash(a, params) == minhash(b, params)).mean())
        z.append((estimate - truth) / (truth * (1 - truth) / 128) ** 0.5)
    assert abs(sum(z) / len(z)) < 0.25
    assert 0.75 < (sum(x * x for x in z) / len(z)) ** 0.5 < 1.3

"""Split assignment is a pure function of the cluster key and the salt."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builder.split import SplitConfig, assign_split


@given(st.text(min_size=1, max_size=64), st.text(max_size=16))
def test_split_depends_only_on_key_and_salt(key: str, salt: str) -> None:
    config = SplitConfig(salt=salt)
    assert assign_split(key, config) == assign_split(key, SplitConfig(salt=salt))
    assert assign_split(key, config) in ("train", "validation", "test")


@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=30, unique=True), st.randoms())
def test_split_ignores_other_records_and_order(keys: list[str], rnd) -> None:
    config = SplitConfig()
    alone = {k: assign_split(k, config) for k in keys}
    shuffled = keys[:]
    rnd.shuffle(shuffled)
    assert {k: assign_split(k, config) for k in shuffled} == alone


def test_split_fractions_are_respected() -> None:
    counts = Counter(assign_split(f"id-{i}", SplitConfig()) for i in range(20_000))
    assert abs(counts["train"] / 20_000 - 0.8) < 0.02
    assert abs(counts["validation"] / 20_000 - 0.1) < 0.02


def test_salt_changes_assignment() -> None:
    keys = [f"k{i}" for i in range(200)]
    a = [assign_split(k, SplitConfig(salt="a")) for k in keys]
    b = [assign_split(k, SplitConfig(salt="b")) for k in keys]
    assert a != b


def test_bad_fractions_are_refused() -> None:
    with pytest.raises(ValueError):
        SplitConfig(train=0.9, validation=0.2, test=0.1)


def test_split_codes_equal_assign_split_in_both_modes() -> None:
    import datetime as dt

    import pyarrow as pa

    from builder.records import SPLITS
    from builder.split import split_codes

    keys = [f"id-{i}" for i in range(3000)] + ["", "ünïcode", "a\0b"]
    for config in (SplitConfig(), SplitConfig(salt="other"), SplitConfig(train=1.0, validation=0.0, test=0.0),
                   SplitConfig(train=0.0, validation=0.0, test=1.0), SplitConfig(train=0.5, validation=0.5, test=0.0)):
        codes = split_codes(pa.array(keys), config)
        assert [SPLITS[c] for c in codes] == [assign_split(k, config) for k in keys]
    timed = SplitConfig(mode="time", train_before=dt.date(2022, 1, 1), test_from=dt.date(2023, 1, 1))
    whens = [None, dt.datetime(2021, 12, 31, 23, 59, tzinfo=dt.UTC), dt.datetime(2022, 1, 1, tzinfo=dt.UTC),
             dt.datetime(2022, 12, 31, 23, 59, 59, tzinfo=dt.UTC), dt.datetime(2023, 1, 1, tzinfo=dt.UTC)]
    codes = split_codes(pa.array(["k"] * len(whens)), timed, pa.array(whens, pa.timestamp("us", tz="UTC")))
    assert [SPLITS[c] for c in codes] == [assign_split("k", timed, w) for w in whens]

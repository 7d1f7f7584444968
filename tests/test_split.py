"""Split assignment is a pure function of the cluster key and the salt."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, strategies as st

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

"""Split assignment: a pure function of a record's cluster key and the salt."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from builder.records import SPLITS, SplitName


@dataclass(frozen=True)
class SplitConfig:
    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1
    salt: str = "news-corpus-v1"

    def __post_init__(self) -> None:
        fractions = (self.train, self.validation, self.test)
        if any(f < 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-9:
            raise ValueError(f"split fractions must be non-negative and sum to 1, got {fractions}")

    @property
    def thresholds(self) -> tuple[int, int]:
        # Integer thresholds on a 64-bit hash: no float summation order can move a record.
        scale = 1 << 64
        first = round(self.train * scale)
        return first, first + round(self.validation * scale)


def assign_split(key: str, config: SplitConfig) -> SplitName:
    """The split of a record whose cluster key is `key`; it never depends on other records."""
    digest = hashlib.sha256(f"{config.salt}\0{key}".encode()).digest()
    value = int.from_bytes(digest[:8], "big")
    first, second = config.thresholds
    if value < first:
        return SPLITS[0]
    return SPLITS[1] if value < second else SPLITS[2]

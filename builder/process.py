"""The per-record stage: raw unit -> Article or Quarantined. Pure, so any worker can run it."""

from __future__ import annotations

from collections.abc import Iterable

from builder.identity import sha256_hex
from builder.normalize import NormalizeError, normalize
from builder.outlets import load_registry
from builder.records import Article, Quarantined, RawUnit
from builder.validate import Limits, Rejected, quarantine, validate_unit


def process_unit(unit: RawUnit | Quarantined, limits: Limits) -> Article | Quarantined:
    """Validate and normalize one raw unit. Never raises for bad input."""
    if isinstance(unit, Quarantined):
        return unit
    try:
        record = validate_unit(unit, limits)
        raw = unit.data if unit.kind == "jsonl" else unit.data + b"\0" + (unit.sidecar or b"")
        return normalize(record, sha256_hex(raw), load_registry())
    except Rejected as exc:
        return quarantine(unit, exc, limits)
    except NormalizeError as exc:
        return quarantine(unit, Rejected(exc.reason, str(exc), exc.pointer), limits)
    except Exception as exc:  # noqa: BLE001 - a record must never stop the build or vanish
        message = f"the normalizer failed on this record: {type(exc).__name__}: {exc}"[:300]
        return quarantine(unit, Rejected("normalizer_error", message), limits)


def process_batch(units: Iterable[RawUnit | Quarantined], limits: Limits) -> list[Article | Quarantined]:
    return [process_unit(u, limits) for u in units]

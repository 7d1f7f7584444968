"""Parse and validate one raw unit against the raw JSON Schema; failures become quarantine."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from builder.records import Quarantined, RawUnit
from builder.schema import raw_schema

_MESSAGE_CHARS = 300
# jsonschema keyword -> quarantine reason
_REASONS = {
    "required": "missing_required",
    "anyOf": "missing_required",
    "type": "wrong_type",
    "oneOf": "wrong_type",
    "additionalProperties": "unknown_field",
    "format": "invalid_format",
    "minLength": "too_short",
    "maxLength": "too_long",
    "maxItems": "too_many_items",
    "pattern": "pattern_mismatch",
}


@dataclass(frozen=True)
class Limits:
    """Size limits from the config; each breach has its own quarantine reason."""

    max_record_bytes: int = 10_000_000
    max_field_chars: int = 2_000_000


class Rejected(Exception):
    def __init__(self, reason: str, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.reason, self.message, self.pointer = reason, message, pointer


@cache
def validator() -> Draft202012Validator:
    schema = raw_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise Rejected("duplicate_key", f"key {key!r} appears more than once", _pointer([key]))
        obj[key] = value
    return obj


def _no_constants(name: str) -> Any:
    raise Rejected("invalid_json", f"{name} is not valid JSON")


def _truncate(text: str) -> str:
    return text if len(text) <= _MESSAGE_CHARS else text[:_MESSAGE_CHARS] + "…"


def _pointer(path: list[Any] | Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def decode_object(data: bytes, what: str = "record") -> dict[str, Any]:
    """Bytes -> JSON object, or Rejected with a reason."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected("invalid_utf8", f"{what} is not UTF-8: byte {exc.start} ({data[exc.start:exc.start+1]!r}) {exc.reason}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise Rejected("invalid_json", f"{what} is not valid JSON: {exc.msg} at char {exc.pos}") from None
    except RecursionError:
        raise Rejected("invalid_json", f"{what} is nested too deeply to parse") from None
    if not isinstance(obj, dict):
        raise Rejected("not_an_object", f"{what} is a JSON {type(obj).__name__}, not an object")
    return obj


def schema_error(record: dict[str, Any]) -> Rejected | None:
    errors = list(validator().iter_errors(record))
    if not errors:
        return None
    error = min(errors, key=_relevance)
    reason = _REASONS.get(error.validator, "schema_violation")
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        path += missing[:1]
    elif error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        path += sorted(k for k in error.instance if k not in allowed)[:1]
    elif error.validator == "anyOf" and all("required" in alt for alt in error.validator_value):
        names = [alt["required"][0] for alt in error.validator_value]
        wanted = " or ".join(repr(n) for n in names)
        return Rejected("missing_required", f"record needs {wanted}", _pointer(path + names[:1]))
    return Rejected(reason, _truncate(error.message), _pointer(path))


_PRIORITY = ["required", "anyOf", "additionalProperties", "type", "oneOf", "format", "pattern",
             "minLength", "maxLength", "maxItems"]


def _relevance(error: ValidationError) -> Any:
    # One deterministic error per record: shallowest path, then field, then the keyword that
    # explains most (a wrong type before a bad format before a bad length).
    rank = _PRIORITY.index(error.validator) if error.validator in _PRIORITY else len(_PRIORITY)
    return (len(error.path), [str(p) for p in error.path], rank)


def validate_unit(unit: RawUnit, limits: Limits) -> dict[str, Any]:
    """The validated raw record of a unit, or Rejected."""
    if len(unit.data) > limits.max_record_bytes:
        raise Rejected("record_too_large", f"record is {len(unit.data)} bytes; the limit is {limits.max_record_bytes}")
    if unit.kind == "txt":
        record = decode_object(unit.sidecar, f"sidecar {unit.sidecar_source}") if unit.sidecar is not None else {}
        if "text" in record:
            raise Rejected("conflicting_text", "the .meta.json sidecar has a 'text' field; the .txt file is the text", "/text")
        try:
            record["text"] = unit.data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise Rejected("invalid_utf8", f"capture is not UTF-8: byte {exc.start} {exc.reason}", "/text") from None
    else:
        record = decode_object(unit.data)
    for key, value in record.items():
        if isinstance(value, str) and len(value) > limits.max_field_chars:
            raise Rejected("field_too_large", f"{key!r} has {len(value)} characters; the limit is {limits.max_field_chars}", _pointer([key]))
    rejected = schema_error(record)
    if rejected:
        raise rejected
    return record


def record_label(unit: RawUnit) -> str | None:
    """A record id for the quarantine, if the raw line names one (its url)."""
    try:
        obj = json.loads(unit.sidecar if unit.kind == "txt" and unit.sidecar else unit.data)
    except (ValueError, RecursionError, TypeError):
        return None
    url = obj.get("url") if isinstance(obj, dict) else None
    return _truncate(url) if isinstance(url, str) else None


def quarantine(unit: RawUnit, rejected: Rejected, limits: Limits) -> Quarantined:
    small = len(unit.data) <= limits.max_record_bytes
    return Quarantined(
        file=unit.source,
        line=unit.line,
        record_id=record_label(unit) if small else None,
        pointer=rejected.pointer,
        reason=rejected.reason,
        message=rejected.message,
    )

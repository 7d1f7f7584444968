"""Parse and validate one raw unit against the raw JSON Schema; failures become quarantine."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from builder.fastcheck import raw_conforms
from builder.records import Quarantined, RawUnit
from builder.schema import raw_schema

_MESSAGE_CHARS = 300
# JSON may spell a lone UTF-16 surrogate as an escape; Python's json accepts it, but the result
# is not Unicode and no UTF-8 writer can store it. Surrogates can only come from such escapes.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# What a quarantine entry must not hold: a lone surrogate cannot be written as UTF-8, and NEL
# or a Unicode line separator splits the line for readers that honour them.
_UNQUOTABLE = re.compile("[\ud800-\udfff\x85\u2028\u2029]")
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

    def __post_init__(self) -> None:
        for name in ("max_record_bytes", "max_field_chars"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")


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


def _printable(text: str) -> str:
    """Text quoted from raw input, safe to write into a quarantine entry."""
    return _UNQUOTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _truncate(text: str) -> str:
    text = text if len(text) <= _MESSAGE_CHARS else text[:_MESSAGE_CHARS] + "…"
    return _printable(text)


def _pointer(path: list[Any] | Any) -> str:
    # A key can be megabytes long; the pointer names it, bounded like a message.
    return "".join("/" + _truncate(str(p).replace("~", "~0").replace("/", "~1")) for p in path)


def _strings(value: Any) -> Iterator[tuple[list[Any], str]]:
    """(path, string) for every key and string inside a parsed JSON value, without recursion."""
    stack: list[tuple[list[Any], Any]] = [([], value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            yield path, item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield path + [key], key
                stack.append((path + [key], child))
        elif isinstance(item, list):
            stack.extend((path + [i], child) for i, child in enumerate(item))


def _check_unicode(text: str, obj: Any, what: str) -> None:
    if not _SURROGATE_ESCAPE.search(text):
        return
    for path, string in _strings(obj):
        match = _SURROGATE.search(string)
        if match:
            raise Rejected("invalid_unicode", f"{what} holds a lone surrogate \\u{ord(match.group()):04x} "
                           "(an unpaired UTF-16 escape), which is not a Unicode character", _pointer(path))


def decode_object(data: bytes, what: str = "record") -> dict[str, Any]:
    """Bytes -> JSON object, or Rejected with a reason."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected("invalid_utf8", f"{what} is not UTF-8: byte {exc.start} ({data[exc.start:exc.start+1]!r}) {exc.reason}") from None
    text = text.removeprefix("\ufeff")
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise Rejected("invalid_json", f"{what} is not valid JSON: {exc.msg} (char {exc.pos})") from None
    except RecursionError:
        raise Rejected("invalid_json", f"{what} is nested too deeply to parse") from None
    except ValueError as exc:
        # int() refuses numbers of more than 4300 digits.
        raise Rejected("invalid_json", f"{what} is not valid JSON: {_truncate(str(exc))}") from None
    _check_unicode(text, obj, what)
    if not isinstance(obj, dict):
        raise Rejected("not_an_object", f"{what} is a JSON {type(obj).__name__}, not an object")
    return obj


def schema_error(record: dict[str, Any]) -> Rejected | None:
    if raw_conforms()(record):
        return None
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
    size = _size(unit)
    if size > limits.max_record_bytes:
        raise Rejected("record_too_large", f"record is {size} bytes; the limit is {limits.max_record_bytes}")
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
    _check_field_sizes(record, limits)
    rejected = schema_error(record)
    if rejected:
        raise rejected
    return record


def _size(unit: RawUnit) -> int:
    return len(unit.data) + len(unit.sidecar or b"")


def _check_field_sizes(record: dict[str, Any], limits: Limits) -> None:
    """A field's size is the characters of all its strings: a list of authors counts as a whole."""
    limit = limits.max_field_chars
    for key, value in record.items():
        if len(key) > limit:
            raise Rejected("field_too_large", f"a key has {len(key)} characters; the limit is {limit}", _pointer([key]))
        total = _chars(value)
        if total > limit:
            raise Rejected("field_too_large", f"{_truncate(repr(key))} has {total} characters; the limit is {limit}", _pointer([key]))


def _chars(value: Any) -> int:
    # Strings and lists of strings are every valid field; only odd values need the full walk.
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return sum(map(len, value))
    return sum(len(s) for _, s in _strings(value))


def record_label(unit: RawUnit) -> str | None:
    """A record id for the quarantine, if the raw line names one (its url)."""
    try:
        obj = json.loads(unit.sidecar if unit.kind == "txt" and unit.sidecar else unit.data)
    except (ValueError, RecursionError, TypeError):
        return None
    url = obj.get("url") if isinstance(obj, dict) else None
    return _truncate(url) if isinstance(url, str) else None


def quarantine(unit: RawUnit, rejected: Rejected, limits: Limits) -> Quarantined:
    small = _size(unit) <= limits.max_record_bytes
    return Quarantined(
        file=unit.source,  # read.py names only files whose names are UTF-8
        line=unit.line,
        record_id=record_label(unit) if small else None,
        pointer=_printable(rejected.pointer),
        reason=rejected.reason,
        message=_printable(rejected.message),
    )

"""A fast yes/no check of the raw JSON Schema for the hot path; jsonschema explains every no.

It interprets the same schema file, for the keywords that file uses (anything else is refused
when the checker is built), with jsonschema's own format checkers. A test shows it accepts and
rejects exactly what jsonschema does over the whole test corpus.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from builder.schema import raw_schema

Check = Callable[[Any], bool]
_ANNOTATIONS = {"$schema", "$id", "title", "description"}
_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


_STRING_KEYS = {"type", "minLength", "maxLength", "pattern", "format"}


def _compile(schema: dict[str, Any]) -> Check:
    keys = set(schema) - _ANNOTATIONS
    if schema.get("type") == "string" and keys <= _STRING_KEYS:
        return _string_check(schema)
    checks: list[Check] = []
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key == "type":
            checks.append(_TYPES[value])
        elif key == "minLength":
            checks.append(lambda v, n=value: not isinstance(v, str) or len(v) >= n)
        elif key == "maxLength":
            checks.append(lambda v, n=value: not isinstance(v, str) or len(v) <= n)
        elif key == "maxItems":
            checks.append(lambda v, n=value: not isinstance(v, list) or len(v) <= n)
        elif key == "pattern":
            checks.append(lambda v, p=re.compile(value): not isinstance(v, str) or p.search(v) is not None)
        elif key == "format":
            checks.append(_format_check(value))
        elif key == "items":
            checks.append(_items_check(_compile(value)))
        elif key == "required":
            checks.append(lambda v, names=tuple(value): not isinstance(v, dict) or all(n in v for n in names))
        elif key == "properties":
            checks.append(_properties_check({name: _compile(sub) for name, sub in value.items()}))
        elif key == "additionalProperties":
            if value is not False:
                raise ValueError("fastcheck supports additionalProperties: false only")
            allowed = frozenset(schema.get("properties", {}))
            checks.append(lambda v, a=allowed: not isinstance(v, dict) or all(k in a for k in v))
        elif key == "allOf":
            subs = [_compile(s) for s in value]
            checks.append(lambda v, s=subs: all(c(v) for c in s))
        elif key == "anyOf":
            subs = [_compile(s) for s in value]
            checks.append(lambda v, s=subs: any(c(v) for c in s))
        elif key == "oneOf":
            subs = [_compile(s) for s in value]
            checks.append(lambda v, s=subs: sum(1 for c in s if c(v)) == 1)
        else:
            raise ValueError(f"fastcheck does not support the keyword {key!r}; extend it or drop it")
    if len(checks) == 1:
        return checks[0]
    return _all_check(tuple(checks))


# Plain loops rather than all() over generators: this runs for every record and every field.
def _all_check(checks: tuple[Check, ...]) -> Check:
    def check(value: Any) -> bool:
        for c in checks:
            if not c(value):
                return False
        return True

    return check


def _items_check(item: Check) -> Check:
    def check(value: Any) -> bool:
        if isinstance(value, list):
            for x in value:
                if not item(x):
                    return False
        return True

    return check


def _properties_check(props: dict[str, Check]) -> Check:
    def check(value: Any) -> bool:
        if isinstance(value, dict):
            for k, x in value.items():
                c = props.get(k)
                if c is not None and not c(x):
                    return False
        return True

    return check


def _string_check(schema: dict[str, Any]) -> Check:
    """A string schema (type, length bounds, pattern, format) as one function: once the type
    holds, the other keywords apply as they would one by one."""
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    pattern = re.compile(schema["pattern"]) if "pattern" in schema else None
    conforms = _format_check(schema["format"]) if "format" in schema else None

    def check(value: Any) -> bool:
        if not isinstance(value, str) or len(value) < low or (high is not None and len(value) > high):
            return False
        if pattern is not None and pattern.search(value) is None:
            return False
        return conforms is None or conforms(value)

    return check


def _format_check(name: str) -> Check:
    """FORMAT_CHECKER.conforms(v, name) without its two layers of calls: the registered function,
    whose listed exceptions (like a false result) mean the value does not conform. A format
    with no registered function conforms, as in jsonschema."""
    registered = Draft202012Validator.FORMAT_CHECKER.checkers.get(name)
    if registered is None:
        return lambda v: True
    func, raises = registered

    def check(value: Any) -> bool:
        try:
            return bool(func(value))
        except raises:
            return False

    return check


@cache
def raw_conforms() -> Check:
    return _compile(raw_schema())

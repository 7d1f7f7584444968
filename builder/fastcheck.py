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


def _compile(schema: dict[str, Any]) -> Check:
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
            item = _compile(value)
            checks.append(lambda v, c=item: not isinstance(v, list) or all(c(x) for x in v))
        elif key == "required":
            checks.append(lambda v, names=tuple(value): not isinstance(v, dict) or all(n in v for n in names))
        elif key == "properties":
            props = {name: _compile(sub) for name, sub in value.items()}
            checks.append(lambda v, p=props: not isinstance(v, dict) or all(p[k](x) for k, x in v.items() if k in p))
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
    return lambda v: all(c(v) for c in checks)


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

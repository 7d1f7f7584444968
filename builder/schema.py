"""Schemas derived from the published model: JSON Schema, Arrow schema, `datasets` features."""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel

from builder.records import Article

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
RAW_SCHEMA_PATH = SCHEMA_DIR / "raw_record.schema.json"
ARTICLE_SCHEMA_PATH = SCHEMA_DIR / "article.schema.json"


def _arrow_type(annotation: Any) -> tuple[pa.DataType, bool]:
    """Map a field annotation to (Arrow type, nullable)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union {annotation!r}")
        return _arrow_type(args[0])[0], True
    if origin is list:
        (item,) = typing.get_args(annotation)
        return pa.list_(pa.field("element", _arrow_type(item)[0], nullable=False)), False
    if annotation is str:
        return pa.string(), False
    if annotation is int:
        return pa.int64(), False
    if annotation is dt.datetime:
        return pa.timestamp("us", tz="UTC"), False
    if annotation is dt.date:
        return pa.date32(), False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return pa.struct(_fields(annotation)), False
    raise TypeError(f"no Arrow type for {annotation!r}")


def _fields(model: type[BaseModel]) -> list[pa.Field]:
    fields = []
    for name, info in model.model_fields.items():
        arrow_type, nullable = _arrow_type(info.annotation)
        fields.append(pa.field(name, arrow_type, nullable=nullable))
    return fields


@cache
def article_features() -> Any:
    """The `datasets` Features of a published article (derived from the Arrow schema)."""
    from datasets import Features

    return Features.from_arrow_schema(pa.schema(_fields(Article)))


# The `datasets` spelling of the features, written out from the Arrow schema, so a build does
# not import `datasets` (about a second) and the bytes of a release do not depend on how the
# installed version prints them. A test checks all three spellings against `datasets` itself.
def _value_dtype(arrow_type: pa.DataType) -> str:
    if pa.types.is_timestamp(arrow_type):
        return f"timestamp[{arrow_type.unit}, tz={arrow_type.tz}]" if arrow_type.tz else f"timestamp[{arrow_type.unit}]"
    if pa.types.is_date32(arrow_type):
        return "date32"
    if arrow_type in (pa.string(), pa.int64()):
        return str(arrow_type)
    raise TypeError(f"no `datasets` dtype written out for {arrow_type}")


def _feature_dict(arrow_type: pa.DataType) -> Any:
    """Features.to_dict() of one field."""
    if pa.types.is_list(arrow_type):
        return {"feature": _feature_dict(arrow_type.value_type), "_type": "List"}
    if pa.types.is_struct(arrow_type):
        return {f.name: _feature_dict(f.type) for f in arrow_type}
    return {"dtype": _value_dtype(arrow_type), "_type": "Value"}


def _feature_yaml(arrow_type: pa.DataType) -> dict[str, Any]:
    """Features._to_yaml_list() of one field, without its name."""
    if pa.types.is_list(arrow_type):
        inner = _feature_yaml(arrow_type.value_type)
        if "list" in inner:
            raise TypeError(f"no `datasets` YAML written out for a list of lists ({arrow_type})")
        return {"list": inner.get("dtype", inner.get("struct"))}
    if pa.types.is_struct(arrow_type):
        return {"struct": [{"name": f.name, **_feature_yaml(f.type)} for f in arrow_type]}
    return {"dtype": _value_dtype(arrow_type)}


def _feature_repr(arrow_type: pa.DataType) -> str:
    """repr() of one field's feature."""
    if pa.types.is_list(arrow_type):
        return f"List({_feature_repr(arrow_type.value_type)})"
    if pa.types.is_struct(arrow_type):
        return "{" + ", ".join(f"{f.name!r}: {_feature_repr(f.type)}" for f in arrow_type) + "}"
    return f"Value({_value_dtype(arrow_type)!r})"


def features_dict() -> dict[str, Any]:
    """The article's `datasets` features as Features.to_dict() gives them."""
    return {f.name: _feature_dict(f.type) for f in article_fields_schema()}


def features_yaml() -> list[dict[str, Any]]:
    """The article's `datasets` features as the dataset card's `dataset_info` lists them."""
    return [{"name": f.name, **_feature_yaml(f.type)} for f in article_fields_schema()]


def feature_reprs() -> dict[str, str]:
    """Each field's feature as `datasets` prints it."""
    return {f.name: _feature_repr(f.type) for f in article_fields_schema()}


@cache
def article_fields_schema() -> pa.Schema:
    """The Arrow schema of a published article, without metadata: what the build stages use."""
    return pa.schema(_fields(Article))


@cache
def article_arrow_schema() -> pa.Schema:
    """The explicit Arrow schema of the Parquet files, with `datasets` features in its metadata."""
    schema = article_fields_schema()
    meta = {"huggingface": json.dumps({"info": {"features": features_dict()}}, sort_keys=True)}
    return schema.with_metadata(meta)


def article_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a published article, generated from the pydantic model."""
    schema = Article.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render_json(obj: Any) -> str:
    """Stable JSON text for files checked in or published."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_article_schema(path: Path = ARTICLE_SCHEMA_PATH) -> None:
    path.write_text(render_json(article_json_schema()), encoding="utf-8")


@cache
def raw_schema() -> dict[str, Any]:
    return json.loads(RAW_SCHEMA_PATH.read_text(encoding="utf-8"))

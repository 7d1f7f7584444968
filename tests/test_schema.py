"""Each schema is declared once: checked-in copies must match what the model derives."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from jsonschema import Draft202012Validator

from builder.records import Article
from builder.schema import (
    ARTICLE_SCHEMA_PATH,
    RAW_SCHEMA_PATH,
    article_arrow_schema,
    article_features,
    article_json_schema,
    render_json,
)


def test_checked_in_article_schema_matches_model() -> None:
    expected = render_json(article_json_schema())
    assert ARTICLE_SCHEMA_PATH.read_text(encoding="utf-8") == expected, (
        "schema/article.schema.json drifted from builder.records.Article; run: python -m builder schema"
    )


def test_raw_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(RAW_SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_arrow_schema_covers_every_model_field_in_order() -> None:
    schema = article_arrow_schema()
    assert schema.names == list(Article.model_fields)
    assert schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("images").type.value_type == pa.struct([pa.field("caption", pa.string(), False), pa.field("credit", pa.string())])
    assert schema.field("dateline").type.field("date").type == pa.date32()


def test_features_round_trip_through_parquet_metadata() -> None:
    from datasets import Features

    meta = json.loads(article_arrow_schema().metadata[b"huggingface"])
    assert Features.from_dict(meta["info"]["features"]) == article_features()


def test_published_records_validate_against_json_schema() -> None:
    article = Article(id="a" * 32, outlet="x", outlet_name="X", text="t", cluster_id="a" * 32, raw_sha256="b" * 64)
    Draft202012Validator(article_json_schema()).validate(json.loads(article.model_dump_json()))


def test_features_written_out_equal_what_datasets_gives() -> None:
    """The build spells the `datasets` features itself (no import of datasets, bytes that do
    not depend on its version); they must be what datasets gives for the same schema."""
    from builder.schema import feature_reprs, features_dict, features_yaml

    features = article_features()
    assert features_dict() == features.to_dict()
    assert features_yaml() == features._to_yaml_list()
    assert feature_reprs() == {name: repr(feature) for name, feature in features.items()}


@pytest.mark.parametrize("arrow_type", [
    pa.string(), pa.int64(), pa.date32(), pa.timestamp("us", tz="UTC"), pa.timestamp("ms"),
    pa.list_(pa.string()), pa.struct([("a", pa.string()), ("b", pa.list_(pa.int64()))]),
    pa.list_(pa.struct([("a", pa.string()), ("b", pa.timestamp("us", tz="UTC"))])),
    pa.struct([("s", pa.struct([("t", pa.date32())]))]),
])
def test_each_feature_spelling_matches_datasets(arrow_type: pa.DataType) -> None:
    from datasets import Features

    from builder.schema import _feature_dict, _feature_repr, _feature_yaml

    features = Features.from_arrow_schema(pa.schema([pa.field("x", arrow_type)]))
    assert {"x": _feature_dict(arrow_type)} == features.to_dict()
    assert [{"name": "x", **_feature_yaml(arrow_type)}] == features._to_yaml_list()
    assert _feature_repr(arrow_type) == repr(features["x"])

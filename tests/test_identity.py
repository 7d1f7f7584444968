"""Canonical URLs: many captured forms of one page give one id."""

from __future__ import annotations

import pytest

from builder.identity import article_id, canonical_url
from builder.outlets import load_registry

REG = load_registry()

SAME_PAGE = [
    "https://www.presstv.ir/Detail/2022/02/15/677149/Kremlin-US-talk",
    "http://presstv.ir/Detail/2022/02/15/677149/Kremlin-US-talk/",
    "https://PRESSTV.IR/Detail/2022/02/15/677149/Kremlin-US-talk#comments",
    "https://www.presstv.ir/Detail/2022/02/15/677149/Kremlin-US-talk?utm_source=twitter&utm_medium=social",
    "https://presstv.com/Detail/2022/02/15/677149/Kremlin-US-talk",
    "https://www.presstv.co.uk/Detail/2022/02/15/677149/Kremlin-US-talk?fbclid=abc",
    "https://presstv.ir:443/Detail/2022/02/15/677149/Kremlin-US-talk",
    "https://presstv.ir/Detail/2022/02/15/677149/Kremlin-US-talk/index.html",
]


@pytest.mark.parametrize("url", SAME_PAGE)
def test_forms_of_one_page_share_canonical_url(url: str) -> None:
    assert canonical_url(url, REG) == "https://presstv.ir/Detail/2022/02/15/677149/Kremlin-US-talk"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?id=5&utm_campaign=x&gclid=y", "https://example.com/a?id=5"),
        ("https://example.com:8080/a", "https://example.com:8080/a"),
        ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("https://m.example.co.uk/news/1", "https://example.co.uk/news/1"),
        ("https://example.com", "https://example.com"),
        ("https://example.com/", "https://example.com"),
    ],
)
def test_canonical_url_rules(url: str, expected: str) -> None:
    assert canonical_url(url, REG) == expected


def test_different_pages_differ() -> None:
    a = canonical_url("https://example.com/a?id=1", REG)
    b = canonical_url("https://example.com/a?id=2", REG)
    assert a != b and article_id(a, "x") != article_id(b, "x")


def test_id_without_url_comes_from_body() -> None:
    assert article_id(None, "body") == article_id(None, "body")
    assert article_id(None, "body") != article_id(None, "body 2")
    assert article_id("https://example.com", "body") != article_id(None, "body")
    assert len(article_id(None, "x")) == 32

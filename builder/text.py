"""Text hygiene: Unicode NFC, spaces, invisible and control characters, line ends."""

from __future__ import annotations

import re
import unicodedata

# Spaces that render as a plain space; U+3000 is kept because CJK typesetting relies on it.
_SPACES = dict.fromkeys(map(ord, "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\t\v\f"), " ")
# Invisible characters with no meaning in running text. ZWNJ/ZWJ (U+200C/U+200D) and the
# directional marks stay: Persian, Indic scripts and emoji need them.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"), None)
_SPACE_RE = re.compile("[" + "".join(map(chr, _SPACES)) + "]")
_INVISIBLE_RE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_RUNS = re.compile(r" {2,}")
_BLANKS = re.compile(r"\n\s*\n")


def clean_text(text: str) -> str:
    """Fold a captured text to NFC with plain spaces and LF line ends, keeping every word."""
    # NEL and the Unicode line and paragraph separators are line ends too; dropped as control
    # characters they would glue the words on either side together.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x85", "\n").replace("\u2028", "\n")
    text = text.replace("\u2029", "\n\n")
    text = unicodedata.normalize("NFC", text)
    # One regex pass each is far faster than str.translate with a dict on long texts.
    text = _SPACE_RE.sub(" ", text)
    text = _INVISIBLE_RE.sub("", text)
    text = _CONTROL.sub("", text)
    lines = ((_RUNS.sub(" ", line) if "  " in line else line).strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def clean_inline(text: str) -> str:
    """clean_text for a one-line field (title, author, place): newlines become spaces."""
    return " ".join(clean_text(text).split())


def paragraphs(text: str) -> list[str]:
    """Split cleaned text into paragraphs at blank lines."""
    return [p for p in _BLANKS.split(text) if p]


def join_paragraphs(paras: list[str]) -> str:
    return "\n\n".join(paras)

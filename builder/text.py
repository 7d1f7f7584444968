"""Text hygiene: Unicode NFC, spaces, invisible and control characters, line ends."""

from __future__ import annotations

import re
import unicodedata

# Spaces that render as a plain space; U+3000 is kept because CJK typesetting relies on it.
_SPACES = dict.fromkeys(map(ord, "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\t\v\f"), " ")
# Invisible characters with no meaning in running text. ZWNJ/ZWJ (U+200C/U+200D) and the
# directional marks stay: Persian, Indic scripts and emoji need them.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"), None)
_SPACE_CHARS = tuple(map(chr, _SPACES))
_INVISIBLE_CHARS = tuple(map(chr, _INVISIBLE))
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_RUNS = re.compile(r" {2,}")
_BLANKS = re.compile(r"\n\s*\n")


def clean_text(text: str) -> str:
    """Fold a captured text to NFC with plain spaces and LF line ends, keeping every word."""
    # Each step is skipped when it cannot change the text: `c in text` and str.replace scan in
    # C far faster than a regex character class (or str.translate) over a whole article, and an
    # ASCII text is already NFC and holds none of the non-ASCII spaces or invisible characters.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii():
        for c in "\t\v\f":
            if c in text:
                text = text.replace(c, " ")
        control = _ASCII_CONTROL
    else:
        # NEL and the Unicode line and paragraph separators are line ends too; dropped as
        # control characters they would glue the words on either side together.
        text = text.replace("\x85", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
        text = unicodedata.normalize("NFC", text)
        for c in _SPACE_CHARS:
            if c in text:
                text = text.replace(c, " ")
        for c in _INVISIBLE_CHARS:
            if c in text:
                text = text.replace(c, "")
        control = _CONTROL
    # Control characters are not printable: a printable text (line ends aside) holds none.
    if not text.replace("\n", "").isprintable():
        text = control.sub("", text)
    if "  " in text:
        text = _RUNS.sub(" ", text)  # never spans a line end
    return _BLANKS.sub("\n\n", "\n".join([line.strip() for line in text.split("\n")])).strip()


def clean_inline(text: str) -> str:
    """clean_text for a one-line field (title, author, place): newlines become spaces."""
    return " ".join(clean_text(text).split())


def paragraphs(text: str) -> list[str]:
    """Split cleaned text into paragraphs at blank lines."""
    return [p for p in _BLANKS.split(text) if p]


def join_paragraphs(paras: list[str]) -> str:
    return "\n\n".join(paras)

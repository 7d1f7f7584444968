"""The joined rule regexes the normalizer tries first ("gates") match exactly when one of the
rules does, so skipping a paragraph the gate rejects never changes an article."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from builder.normalize import _anchored_at_start, any_of, rule_gate
from builder.outlets import load_registry
from builder.text import clean_text, paragraphs
from tests.synthetic import make_article

PAGES = Path(__file__).parent / "outlet_pages"
SEED = Path(__file__).resolve().parents[1] / "raw"
# Endings and openings that rules look for, glued to ordinary paragraphs to make near misses.
AFFIXES = [" (AP Photo/Evan Vucci, File)", " (Getty Images)", " Photo: VCG", " (Reuters)", "(PA Wire)",
           "Read more: ", "ADVERTISEMENT", "Follow us on Twitter", "Copyright 2024 All Rights Reserved.",
           "Published On 24 Nov 2026", "(Reporting by Jane Doe; Editing by John Roe)", "By JANE DOE",
           "This article can also be accessed at the following alternate addresses:", ")", "(", " ", "\n"]


def _texts() -> list[str]:
    rng = random.Random(17)
    paras: list[str] = []
    for path in [*sorted(PAGES.glob("*.txt")), *sorted(SEED.glob("*.txt"))]:
        paras += paragraphs(clean_text(path.read_text(encoding="utf-8")))
    for i in range(60):
        paras += paragraphs(clean_text(make_article(rng, i)["text"]))
    mutated = []
    for para in paras:
        affix = rng.choice(AFFIXES)
        mutated.append(rng.choice([para + affix, affix + para, para[: rng.randint(0, len(para))] + affix]))
    return paras + mutated


def _rule_sets() -> list[tuple[str, tuple[re.Pattern[str], ...]]]:
    registry = load_registry()
    generic = registry.generic.rules
    outlets = registry.outlets.values() if isinstance(registry.outlets, dict) else registry.outlets
    sets = [("generic boilerplate", tuple(r.pattern for r in generic.boilerplate)),
            ("generic captions", generic.caption_credits)]
    for o in outlets:
        sets.append((f"{o.slug} boilerplate", tuple(r.pattern for r in o.rules.boilerplate + generic.boilerplate)))
        sets.append((f"{o.slug} captions", o.rules.caption_credits + generic.caption_credits))
    return sets


def test_every_registry_rule_set_has_a_gate_that_agrees_with_its_rules() -> None:
    texts = _texts()
    for name, patterns in _rule_sets():
        if len(patterns) < 2:
            continue
        gate = any_of(patterns)
        assert gate is not None, f"{name}: rules could not be joined; the normalizer would be slow"
        for text in texts:
            for offset in (0, max(0, len(text) - 160)):
                expected = any(p.search(text, offset) for p in patterns)
                assert bool(gate.search(text, offset)) == expected, (name, text[:80], offset)


def test_every_registry_rule_set_has_a_rule_gate_that_agrees_with_its_rules() -> None:
    texts = _texts()
    loose = 0
    for name, patterns in _rule_sets():
        gate = rule_gate(patterns)
        assert gate is not None, f"{name}: rules could not be joined; the normalizer would be slow"
        loose += sum(not _anchored_at_start(p) for p in patterns)
        for text in texts:
            assert gate(text) == any(p.search(text) for p in patterns), (name, text[:80])
    assert loose > 0  # rules searched anywhere (Press TV's footer, credit rules) are covered


def test_each_outlets_derived_boilerplate_gate_agrees_with_its_rules() -> None:
    from builder.normalize import _rules_for

    registry = load_registry()
    texts = _texts()
    for outlet in [None, *registry.outlets.values()]:
        rules = _rules_for(registry, outlet)
        assert rules.boilerplate_gate is not None
        for text in texts:
            expected = any(r.pattern.search(text) for r in rules.boilerplate)
            assert rules.boilerplate_gate(text) == expected, (outlet and outlet.slug, text[:80])


def test_rule_gate_mixes_anchored_and_loose_rules() -> None:
    gate = rule_gate((re.compile(r"^Read more$"), re.compile(r"^Share$"), re.compile(r"alternate addresses"),
                      re.compile(r"\(Photo\)$"), re.compile(r"x|y")))
    assert gate is not None
    for text, expected in [("Read more", True), ("Share", True), ("xx Share", True), ("Shared", False),
                           ("at the alternate addresses:", True), ("alternate address", False),
                           ("a (Photo)", True), ("(Photo) a", False), ("y", True), ("", False), ("abc", False)]:
        assert gate(text) is expected, text


@pytest.mark.parametrize("patterns", [
    (r"(a)\1", r"b"),  # backreference
    (r"(?P<x>a)(?P=x)", r"b"),  # named backreference
    (r"(?P<x>a)?(?(x)b|c)", r"d"),  # conditional
    (r"(?i)abc", r"d"),  # global inline flag
    (r"[(?P<x>]", r"d"),  # "(?P<" inside a class is not a group
    (r"\\(?P<x>a)", r"d"),  # escaped backslash, then a real group: still joined only if exact
])
def test_patterns_that_cannot_be_joined_for_certain_get_no_gate_or_an_exact_one(patterns) -> None:
    compiled = tuple(re.compile(p) for p in patterns)
    gate = any_of(compiled)
    if gate is not None:
        for text in ["a", "aa", "b", "d", "c", "abc", "ABC", "\\a", "(?P<x>", "x>", "P", "ab", "<"]:
            assert bool(gate.search(text)) == any(p.search(text) for p in compiled), text


def test_named_groups_in_several_rules_are_joined() -> None:
    gate = any_of((re.compile(r"\((?P<credit>AP Photo)\)$"), re.compile(r"Photo: (?P<credit>\w+)$")))
    assert gate is not None and gate.search("x (AP Photo)") and gate.search("y Photo: VCG") and not gate.search("z")


def _last_char_holds(text: str, offset: int, end: str) -> bool:
    return "\n" in text or text[-1:] == end  # captions are searched only in one-line paragraphs


def _required_text_holds(text: str, offset: int, needed: str) -> bool:
    return text.find(needed, offset) >= 0


@pytest.mark.parametrize(("shortcut", "holds"), [("last_char", _last_char_holds),
                                                 ("required_text", _required_text_holds)])
def test_rule_shortcuts_never_skip_a_match(shortcut: str, holds) -> None:
    """A rule skipped because the paragraph ends with another character, or lacks the rule's
    literal text, could not have matched it."""
    import builder.normalize

    derive = getattr(builder.normalize, shortcut)
    texts = _texts()
    used = 0
    for name, patterns in _rule_sets():
        for pattern in patterns:
            needed = derive(pattern)
            if needed is None:
                continue
            used += 1
            for text in texts:
                for offset in (0, max(0, len(text) - 160)):
                    if pattern.search(text, offset):
                        assert holds(text, offset, needed), (name, pattern.pattern, text[-80:])
    assert used > 0


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\((?P<credit>AP Photo)\)$", ")"), (r"x\Z", "x"), (r"(?i)x$", None), (r"x$|y", None), (r"x\)?$", None),
    (r"(?m)x$", None), (r"x", None), (r"[)]$", ")"), (r"[)x]$", None),
])
def test_last_char(pattern: str, expected: str | None) -> None:
    from builder.normalize import last_char

    assert last_char(re.compile(pattern)) == expected


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\s+Photo:\s*(?P<credit>\w+)$", "Photo:"), (r"ab|cd", None), (r"(?i)Photo:", None), (r"a", "a"),
    (r"x(?:Photo)yz", "xPhotoyz"), (r"Getty Images\)$", "Getty Images)"), (r"ab?c", "a"), (r"abc*d", "ab"),
    (r"\s*©\s*(?P<credit>[^©\n]{2,100}?)$", "©"), (r"[ab]+", None), (r"\s*\(", "("),
])
def test_required_text(pattern: str, expected: str | None) -> None:
    from builder.normalize import required_text

    assert required_text(re.compile(pattern)) == expected

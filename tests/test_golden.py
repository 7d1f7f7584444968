"""Per-outlet golden files: raw page in, normalized record out; refresh with --update-golden."""

from __future__ import annotations

import pytest

from tests.golden import FIELDS, GOLDEN, cases, evaluate, golden_json, run, score

CASES = cases()


def test_every_registered_outlet_has_a_fixture() -> None:
    from builder.outlets import load_registry

    assert {c.slug for c in CASES} >= set(load_registry().outlets)
    assert len(CASES) >= 24


@pytest.mark.parametrize("case", CASES, ids=[c.slug for c in CASES])
def test_outlet_page_normalizes_as_expected(case) -> None:
    article = run(case)
    wrong = [field for field, ok in score(case, article).items() if not ok]
    assert wrong == [], f"{case.slug}: wrong {wrong}"


@pytest.mark.parametrize("case", CASES, ids=[c.slug for c in CASES])
def test_golden_file(case, request: pytest.FixtureRequest) -> None:
    path = GOLDEN / f"{case.slug}.json"
    produced = golden_json(run(case))
    if request.config.getoption("--update-golden"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(produced, encoding="utf-8")
    assert path.exists(), f"no golden file for {case.slug}; run pytest --update-golden and review the diff"
    assert path.read_text(encoding="utf-8") == produced, (
        f"normalizer output for {case.slug} changed; if intended, bump NORMALIZER_VERSION and run "
        "pytest --update-golden, then review the diff"
    )


def test_evaluation_gate() -> None:
    accuracy, failures = evaluate()
    assert set(accuracy) == set(FIELDS)
    # Boilerplate left in and text lost are never acceptable; the rest must stay at 100% too.
    assert accuracy == {f: 1.0 for f in FIELDS}, failures

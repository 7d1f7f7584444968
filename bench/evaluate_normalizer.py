"""Per-field accuracy of the normalizer over the golden set of outlet pages (tests/outlet_pages)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.golden import FIELDS, cases, evaluate


def main() -> int:
    accuracy, failures = evaluate()
    n = len(cases())
    print(f"golden set: {n} outlet pages")
    print(f"| {'field':<20} | accuracy | failing pages")
    print(f"|{'-' * 22}|----------|--------------")
    for field in FIELDS:
        print(f"| {field:<20} | {accuracy[field]:>7.1%} | {', '.join(failures[field]) or '–'}")
    return 0 if all(v == 1.0 for v in accuracy.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

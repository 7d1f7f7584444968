"""Describe a release: MANIFEST.json, the dataset card (README.md) and DATASHEET.md."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from builder import NORMALIZER_VERSION, __version__
from builder.config import Config
from builder.outlets import load_registry
from builder.read import list_raw_files
from builder.records import SPLITS, Article
from builder.schema import article_features, render_json
from builder.stats import Stats, length_bins

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
# Packages whose version shapes the bytes of a release.
OUTPUT_PACKAGES = ("pyarrow", "datasets", "pydantic", "jsonschema", "python-dateutil")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def raw_fingerprint(raw: Path) -> tuple[str, int]:
    """SHA-256 over the sorted (relative path, file SHA-256) of the raw input, and its file count."""
    digest = hashlib.sha256()
    count = 0
    for rel, path, problem in list_raw_files(raw):
        digest.update(f"{rel}\0{file_sha256(path) if path else problem}\n".encode())
        count += 1
    return digest.hexdigest(), count


def package_versions() -> dict[str, str]:
    versions = {}
    for name in OUTPUT_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return label
    return "10M<n<100M"


def _composition(stats: Stats, counts: dict[str, int], splits: dict[str, int]) -> str:
    n = stats.rows
    parts = [
        f"The release holds **{n} articles** from **{len(stats.per_outlet)} outlets** "
        f"({counts['read']} raw records read, {counts['quarantined']} quarantined, "
        f"{counts['duplicates']} exact duplicates merged).",
        "",
        "### Articles per split",
        _table(["split", "articles", "share"], [[s, splits[s], _pct(splits[s], n)] for s in SPLITS]),
        "",
        "### Articles per outlet",
        _table(
            ["outlet", "name", "articles", "share", *SPLITS],
            [[o, stats.outlet_names.get(o, ""), c, _pct(c, n), *[stats.per_outlet_split.get((o, s), 0) for s in SPLITS]]
             for o, c in sorted(stats.per_outlet.items(), key=lambda kv: (-kv[1], kv[0]))],
        ),
        "",
        "### Articles per language",
        _table(["language", "articles", "share"], [[k, v, _pct(v, n)] for k, v in sorted(stats.per_language.items())]),
        "",
        "### Articles per month (of publication)",
        _table(["month", "articles"], [[k, v] for k, v in sorted(stats.per_month.items())]),
        "",
        "### Text length (characters of the normalized body)",
        _table(["length", "articles"], [[b, stats.length_hist.get(b, 0)] for b in length_bins()]),
        "",
        f"Mean length: {stats.chars_total // n if n else 0} characters; "
        f"shortest {stats.lengths_min or 0}, longest {stats.lengths_max or 0}.",
        "",
        "### Missing metadata",
        _table(["field", "records missing it", "share"],
               [[f, stats.missing.get(f, 0), _pct(stats.missing.get(f, 0), n)]
                for f in ("url", "published_at", "authors", "headline", "language")]),
    ]
    return "\n".join(parts)


def _preprocessing(stats: Stats, reasons: Counter, duplicates: int) -> str:
    removed = _table(
        ["kind", "times removed", "articles affected"],
        [[k, v, stats.removed_records[k]] for k, v in sorted(stats.removed_kinds.items())],
    ) if stats.removed_kinds else "Nothing was removed from any article."
    quarantine = _table(["reason", "records"], [[r, n] for r, n in sorted(reasons.items())]) if reasons else "No record was quarantined."
    return "\n".join([
        f"Normalizer version: `{NORMALIZER_VERSION}`.",
        "",
        "### What normalization took out of the text, by kind",
        removed,
        "",
        "### Quarantined raw records, by reason (listed one by one in `quarantine.jsonl`)",
        quarantine,
        "",
        f"### Duplicates\n{duplicates} raw records were exact duplicates (same id or same normalized "
        "body) of a published article and were merged into it; each is listed in `duplicates.jsonl` "
        "with the id it merged into. The copy kept is the earliest capture.",
    ])


def _bias(stats: Stats) -> str:
    registry = load_registry()
    n = stats.rows
    rows = []
    for slug in sorted(stats.per_outlet):
        outlet = registry.outlets.get(slug)
        if outlet is None:
            rows.append([slug, stats.outlet_names.get(slug, ""), "not in the outlet registry: ownership unknown", "–", "–", "–"])
            continue
        claims = outlet.claims

        def cell(key: str) -> str:
            claim = claims.get(key)
            return f"{claim.value}" if claim else "no sourced claim"

        sources = sorted({f"<{c.source}> (checked {c.checked.isoformat()})" for c in claims.values()})
        rows.append([slug, outlet.name, cell("ownership"), cell("state_affiliation"), cell("country"), "; ".join(sources) or "–"])
    parts = [
        "### Outlets: ownership and state affiliation",
        "From the outlet registry (`builder/outlets/`); a claim is published only with its source.",
        "",
        _table(["outlet", "name", "ownership", "state affiliation", "country", "sources"], rows),
        "",
        "### Corpus-level caveats (computed)",
    ]
    caveats = []
    if n:
        top, top_n = max(stats.per_outlet.items(), key=lambda kv: (kv[1], kv[0]))
        caveats.append(f"- **Outlet imbalance:** the largest outlet, {top}, supplies {_pct(top_n, n)} of the articles; "
                       f"{len(stats.per_outlet)} outlet(s) in all. Pool per-outlet results rather than the corpus as a whole.")
        state = sum(c for o, c in stats.per_outlet.items()
                    if (x := registry.outlets.get(o)) and (x.claims.get("state_affiliation") or
                        (x.claims.get("ownership") and "state" in x.claims["ownership"].value)))
        caveats.append(f"- **State-affiliated media:** {_pct(state, n)} of the articles come from outlets the registry "
                       "records as state-owned or state-affiliated. Their texts carry their states' framing.")
        if stats.date_min:
            gaps = _month_gaps(stats)
            caveats.append(f"- **Time coverage:** published {stats.date_min} to {stats.date_max}; "
                           f"{stats.missing.get('published_at', 0)} article(s) without a published date"
                           + (f"; months with no article: {', '.join(gaps)}." if gaps else "; no month in that range is empty."))
        else:
            caveats.append("- **Time coverage:** no article has a published date; the corpus cannot be placed in time.")
        langs = ", ".join(f"{k} ({_pct(v, n)})" for k, v in sorted(stats.per_language.items()))
        caveats.append(f"- **Language coverage:** {langs}.")
    caveats.append("- **Selection effects:** the corpus holds only the pages a scraper captured. Which sections, "
                   "dates and outlets were crawled, paywalls, and pages that failed to load decide what is here; "
                   "absence of a story is not evidence that an outlet did not cover it.")
    return "\n".join(parts + caveats)


def _month_gaps(stats: Stats) -> list[str]:
    if not stats.date_min or not stats.date_max:
        return []
    year, month = map(int, stats.date_min.split("-"))
    end = tuple(map(int, stats.date_max.split("-")))
    gaps = []
    while (year, month) <= end:
        key = f"{year:04d}-{month:02d}"
        if not stats.per_month.get(key):
            gaps.append(key)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return gaps


def _provenance(config: Config, fingerprint: str, raw_files: int) -> str:
    versions = package_versions()
    return "\n".join([
        f"- Raw input: {raw_files} file(s), fingerprint `sha256:{fingerprint}` (over each file's relative path and SHA-256).",
        f"- Builder version `{__version__}`, normalizer version `{NORMALIZER_VERSION}`.",
        "- Packages that shape the output bytes: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
        f"- Configuration (`sha256:{config_sha256(config)}`):",
        "",
        "```json",
        json.dumps(config.source, indent=2, sort_keys=True, default=str),
        "```",
    ])


def config_sha256(config: Config) -> str:
    return hashlib.sha256(json.dumps(config.source, sort_keys=True, default=str).encode()).hexdigest()


def render_datasheet(config: Config, stats: Stats, counts: dict[str, int], splits: dict[str, int],
                     reasons: Counter, duplicates: int, fingerprint: str, raw_files: int) -> str:
    langs = sorted(k for k in stats.per_language if k != "unknown")
    fills = {
        "pretty_name": config.pretty_name or config.name,
        "version": config.version,
        "description": config.description,
        "creators": ("Compiled by " + ", ".join(config.authors) + ", as named in the corpus configuration.") if config.authors
                    else "The corpus configuration names no authors.",
        "composition": _composition(stats, counts, splits),
        "collection": f"This release was built from {raw_files} raw file(s) holding {counts['read']} raw records.",
        "preprocessing": _preprocessing(stats, reasons, duplicates),
        "bias": _bias(stats),
        "distribution": (f"Licence: `{config.license}`. {config.license_note}\n\n"
                         "Files: Parquet splits under `data/`, with `README.md` (dataset card), `MANIFEST.json` "
                         "(checksums), `quarantine.jsonl` and `duplicates.jsonl`."),
        "language_variety": ("BCP 47 tags " + ", ".join(f"`{x}`" for x in langs) + " as recorded by the scraper or the outlet registry."
                             if langs else "no language was recorded."),
        "provenance": _provenance(config, fingerprint, raw_files),
    }
    text = (TEMPLATE_DIR / "datasheet.md").read_text(encoding="utf-8")
    for key, value in fills.items():
        text = text.replace("{{" + key + "}}", value)
    return text.rstrip("\n") + "\n"


def _field_rows() -> list[list[str]]:
    features = article_features()
    return [[f"`{name}`", f"`{_feature_type(features[name])}`", info.description or ""]
            for name, info in Article.model_fields.items()]


def _feature_type(feature: Any) -> str:
    text = repr(feature)
    return text if len(text) < 80 else type(feature).__name__


def render_card(config: Config, stats: Stats, splits: dict[str, int], split_bytes: dict[str, int]) -> str:
    present = [s for s in SPLITS if splits[s]]
    langs = sorted({k.split("-")[0].lower() for k in stats.per_language if k != "unknown"})
    header = {
        "pretty_name": config.pretty_name or config.name,
        "license": config.license,
        "language": langs or ["en"],
        "task_categories": ["text-classification", "summarization", "text-generation"],
        "tags": ["news", "media-studies", "disinformation", "provenance"],
        "size_categories": [size_category(stats.rows)],
        # datasets cannot load a split with no rows, so only non-empty splits are declared.
        "configs": [{"config_name": "default", "default": True,
                     "data_files": [{"split": s, "path": f"data/{s}-*.parquet"} for s in present]}],
        "dataset_info": {
            "features": article_features()._to_yaml_list(),
            # num_bytes is the size of the split's Parquet files: a value that depends only on the data.
            "splits": [{"name": s, "num_bytes": split_bytes[s], "num_examples": splits[s]} for s in present],
            "download_size": sum(split_bytes.values()),
            "dataset_size": sum(split_bytes.values()),
        },
    }
    front = yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000)
    name = config.pretty_name or config.name
    bib_key = config.name.replace("-", "_").replace(".", "_") + "_" + config.version.replace(".", "_")
    body = f"""# {name}

{config.description}

Version **{config.version}** · {stats.rows} articles · {len(stats.per_outlet)} outlets ·
splits: {", ".join(f"{s} {splits[s]}" for s in SPLITS)} (empty splits are listed in `MANIFEST.json` but not declared here).

## Loading

```python
from datasets import load_dataset
ds = load_dataset("path/to/this/release")          # DatasetDict with {", ".join(present)}

import pandas as pd
df = pd.read_parquet("path/to/this/release/data")   # all splits

import pyarrow.parquet as pq
table = pq.read_table("path/to/this/release/data/{present[0] if present else "train"}-00000-of-00001.parquet")

import polars as pl
lf = pl.scan_parquet("path/to/this/release/data/*.parquet")

import duckdb
duckdb.sql("SELECT outlet, count(*) FROM 'path/to/this/release/data/*.parquet' GROUP BY outlet")
```

## Fields

{_table(["field", "type", "description"], _field_rows())}

## Provenance and caveats

Every article keeps what normalization removed from its page in `removed`, and the SHA-256 of
the raw record it came from in `raw_sha256`. Records that failed validation are listed with
their reason in `quarantine.jsonl`; merged duplicates in `duplicates.jsonl`. Read
`DATASHEET.md` before using this corpus: it lists each outlet's ownership and state
affiliation with sources, and what the corpus over- and under-represents.

## Licence

`{config.license}`. {config.license_note}

## Citation

```bibtex
@misc{{{bib_key},
  title  = {{{name}}},
  author = {{{" and ".join(config.authors) or config.name}}},
  note   = {{Version {config.version}}},
}}
```
"""
    return f"---\n{front}---\n\n{body}"


def write_release_docs(out: Path, config: Config, raw: Path, counts: dict[str, int], splits: dict[str, int],
                       data_files: dict[str, int], stats: Stats, reasons: Counter, duplicates: int) -> None:
    fingerprint, raw_files = raw_fingerprint(raw)
    split_bytes = {s: sum((out / f).stat().st_size for f in data_files if f.startswith(f"data/{s}-")) for s in SPLITS}
    (out / "README.md").write_text(render_card(config, stats, splits, split_bytes), encoding="utf-8")
    datasheet = render_datasheet(config, stats, counts, splits, reasons, duplicates, fingerprint, raw_files)
    (out / "DATASHEET.md").write_text(datasheet, encoding="utf-8")
    rows = dict(data_files)
    rows["quarantine.jsonl"] = counts["quarantined"]
    rows["duplicates.jsonl"] = duplicates
    rows["takedowns.jsonl"] = counts.get("takedowns", 0)
    files = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file() and p.name != "MANIFEST.json"):
        rel = path.relative_to(out).as_posix()
        files[rel] = {"sha256": file_sha256(path), "rows": rows.get(rel)}
    manifest = {
        "name": config.name,
        "version": config.version,
        "builder_version": __version__,
        "normalizer_version": NORMALIZER_VERSION,
        "counts": counts,
        "splits": splits,
        "raw_fingerprint": f"sha256:{fingerprint}",
        "config_sha256": config_sha256(config),
        "packages": package_versions(),
        "files": files,
    }
    (out / "MANIFEST.json").write_text(render_json(manifest), encoding="utf-8")

"""Describe a release: dataset card, datasheet with its figure, Croissant, CITATION.cff and manifest."""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import yaml

from builder import NORMALIZER_VERSION, __version__
from builder.citation import display_name, render_apa, render_bibtex, render_cff
from builder.config import Config
from builder.identity import file_sha256
from builder.outlets import load_registry
from builder.read import list_raw_files
from builder.records import SPLITS, Article
from builder.schema import feature_reprs, features_yaml, render_json
from builder.stats import Stats, agree, counted, length_bins

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
# The source tree the builder runs from; a wheel installed elsewhere has no pyproject.toml beside it.
SOURCE_ROOT = Path(__file__).resolve().parent.parent
LOCK_FILE = "requirements.lock"
# Packages whose version shapes the bytes of a release.
OUTPUT_PACKAGES = ("pyarrow", "datasets", "pydantic", "jsonschema", "python-dateutil", "ftfy", "trafilatura",
                   "lxml", "numpy")
PLOT_FILE = "articles_per_month.svg"
CROISSANT_FILE = "croissant.json"
CITATION_FILE = "CITATION.cff"
TASK_CATEGORIES = ["text-classification", "summarization", "text-generation"]
TAGS = ["news", "media-studies", "disinformation", "provenance"]
# Outlets drawn one by one in the figure; the rest are pooled so that the legend stays readable.
PLOT_OUTLETS = 12
PLOT_WIDTH, PLOT_HEIGHT = 1000, 500
# The "tab20" palette of matplotlib and d3: 10 hues, each dark then light.
PLOT_COLOURS = ("#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd",
                "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d",
                "#17becf", "#9edae5")
_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")


def raw_fingerprint(raw: Path, known: dict[str, str] | None = None) -> tuple[str, int]:
    """SHA-256 over the sorted (relative path, file SHA-256) of the raw input, and its file count.
    `known` holds file SHA-256s the build already took from the bytes it read; the other files
    are hashed here."""
    digest = hashlib.sha256()
    count = 0
    known = known or {}
    for rel, path, problem in list_raw_files(raw):
        sha = (known.get(rel) or file_sha256(path)) if path else problem
        digest.update(f"{rel}\0{sha}\n".encode())
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


def lock_sha256() -> str | None:
    """SHA-256 of requirements.lock next to pyproject.toml, or None when run outside the source tree."""
    lock = SOURCE_ROOT / LOCK_FILE
    if (SOURCE_ROOT / "pyproject.toml").is_file() and lock.is_file():
        return file_sha256(lock)
    return None


def config_sha256(config: Config) -> str:
    return hashlib.sha256(json.dumps(config.source, sort_keys=True, default=str).encode()).hexdigest()


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _md_text(value: str) -> str:
    """Text taken from the data, made inert in Markdown: no HTML, links, emphasis or new rows."""
    value = " ".join(value.split())
    for char, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        value = value.replace(char, escaped)
    return re.sub(r"([\\`*_\[\]#!])", r"\\\1", value)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _fill(template: str, fills: dict[str, str]) -> str:
    """The template with each {{key}} replaced in one pass, so filled-in text is never re-read."""
    text = (TEMPLATE_DIR / template).read_text(encoding="utf-8")
    return _PLACEHOLDER.sub(lambda m: fills[m.group(1)], text).rstrip("\n") + "\n"


def size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return label
    return "10M<n<100M"


# --------------------------------------------------------------------------- facts shared by all documents


@dataclass(frozen=True)
class OutletFacts:
    """What the registry says about one outlet of the release, with the sources of each claim."""

    slug: str
    name: str
    articles: int
    registered: bool
    ownership: str | None = None
    state_affiliation: str | None = None
    country: str | None = None
    sources: tuple[tuple[str, str], ...] = ()  # (URL, date checked), sorted

    @property
    def state_owned(self) -> bool:
        return bool(self.ownership and "state" in self.ownership)

    @property
    def public_broadcaster(self) -> bool:
        return bool(self.ownership and "public" in self.ownership)


def outlet_facts(stats: Stats) -> list[OutletFacts]:
    """The outlets of the release, largest first, with their sourced registry claims."""
    registry = load_registry()
    facts = []
    for slug, n in sorted(stats.per_outlet.items(), key=lambda kv: (-kv[1], kv[0])):
        outlet = registry.outlets.get(slug)
        if outlet is None:
            facts.append(OutletFacts(slug, _md_text(stats.outlet_names.get(slug, "")), n, registered=False))
            continue
        claims = outlet.claims

        def value(key: str, claims: dict = claims) -> str | None:
            return claims[key].value if key in claims else None

        sources = tuple(sorted({(c.source, c.checked.isoformat()) for c in claims.values()}))
        facts.append(OutletFacts(slug, outlet.name, n, True, value("ownership"), value("state_affiliation"),
                                 value("country"), sources))
    return facts


@dataclass(frozen=True)
class Caveat:
    """A computed statement about what the corpus over- or under-represents, or cannot support."""

    kind: Literal["bias", "limitation"]
    title: str
    text: str

    def plain(self) -> str:
        return f"{self.title}: {self.text}"


def _names(facts: list[OutletFacts]) -> str:
    return ", ".join(f.name or f.slug for f in facts)


def _month_range(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    end = tuple(map(int, last.split("-")))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _month_gaps(stats: Stats) -> list[str]:
    if not stats.date_min or not stats.date_max:
        return []
    return [m for m in _month_range(stats.date_min, stats.date_max) if not stats.per_month.get(m)]


def _gaps_text(gaps: list[str]) -> str:
    if not gaps:
        return "; no month in that range is empty"
    if len(gaps) <= 12:
        return f"; months with no article: {', '.join(gaps)}"
    return f"; {len(gaps)} months in that range have no article ({', '.join(gaps[:6])}, …)"


def caveats(stats: Stats, facts: list[OutletFacts]) -> list[Caveat]:
    """Corpus-level caveats computed from the release and the registry."""
    n = stats.rows
    if not n:
        return [Caveat("limitation", "Empty release", "no article was published; nothing can be concluded from it.")]
    out: list[Caveat] = []
    top = facts[0]
    top3 = sum(f.articles for f in facts[:3])
    effective = 1 / sum((f.articles / n) ** 2 for f in facts)
    if len(facts) == 1:
        out.append(Caveat("bias", "Outlet imbalance",
                          f"every article comes from one outlet, {top.name or top.slug} (`{top.slug}`): nothing in the "
                          "release can be compared across outlets."))
    else:
        out.append(Caveat("bias", "Outlet imbalance",
                          f"the largest outlet, {top.name or top.slug} (`{top.slug}`), supplies {_pct(top.articles, n)} of "
                          f"the articles and the {min(3, len(facts))} largest supply {_pct(top3, n)}; {len(facts)} outlets "
                          f"in all, equivalent to {effective:.1f} equally sized outlets (inverse Simpson index). "
                          "Pool per-outlet results rather than the corpus as a whole."))
    state = [f for f in facts if f.state_owned]
    public = [f for f in facts if f.public_broadcaster and not f.state_owned]
    noted = [f for f in facts if f.state_affiliation and not f.state_owned and not f.public_broadcaster]
    parts = [f"{_pct(sum(f.articles for f in state), n)} of the articles come from outlets the registry records as "
             f"state-owned" + (f" ({_names(state)})" if state else "")]
    if public:
        parts.append(f"{_pct(sum(f.articles for f in public), n)} from public broadcasters ({_names(public)})")
    if noted:
        parts.append(f"{_pct(sum(f.articles for f in noted), n)} from other outlets with a sourced note on their "
                     f"relationship to a state ({_names(noted)}), which may describe funding or a statutory link "
                     "rather than control")
    out.append(Caveat("bias", "State-owned and state-affiliated media",
                      "; ".join(parts) + ". Their texts carry their states' framing; see the outlet table for the "
                      "sourced claims."))
    countries = Counter()
    for f in facts:
        countries[f.country or "unknown"] += f.articles
    out.append(Caveat("bias", "Countries of the outlets",
                      ", ".join(f"{c} {_pct(k, n)}" for c, k in sorted(countries.items(), key=lambda kv: (-kv[1], kv[0])))
                      + " of the articles, by the registry's country of each outlet."))
    langs = ", ".join(f"{k} ({_pct(v, n)})" for k, v in sorted(stats.per_language.items(), key=lambda kv: (-kv[1], kv[0])))
    out.append(Caveat("bias", "Language coverage", f"{langs}; results do not carry over to other languages."))
    unknown = [f for f in facts if not f.registered]
    if unknown:
        out.append(Caveat("limitation", "Outlets not in the registry",
                          f"{_pct(sum(f.articles for f in unknown), n)} of the articles come from {counted(len(unknown), 'outlet')} "
                          f"the registry does not know ({_names(unknown)}): their ownership and country are unknown and "
                          "no outlet-specific cleaning was applied."))
    if stats.date_min:
        gaps = _month_gaps(stats)
        busiest, busiest_n = max(((m, c) for m, c in stats.per_month.items() if m != "unknown"), key=lambda mc: (mc[1], mc[0]))
        out.append(Caveat("limitation", "Time coverage",
                          f"published {stats.date_min} to {stats.date_max}; "
                          f"{counted(stats.missing.get('published_at', 0), 'article')} without a published date"
                          + _gaps_text(gaps)
                          + f"; the busiest month, {busiest}, holds {_pct(busiest_n, n)} of the articles."))
    else:
        out.append(Caveat("limitation", "Time coverage",
                          "no article has a published date; the corpus cannot be placed in time."))
    out.append(Caveat("limitation", "Missing metadata",
                      f"{_pct(stats.missing.get('url', 0), n)} of the articles have no URL, "
                      f"{_pct(stats.missing.get('published_at', 0), n)} no published date, "
                      f"{_pct(stats.missing.get('authors', 0), n)} no author; a missing value was not on the capture "
                      "and was not guessed."))
    clusters, clustered = stats.near_duplicate_clusters()
    agency_n = sum(stats.per_agency.values())
    agencies = ", ".join(f"{a} {c}" for a, c in sorted(stats.per_agency.items(), key=lambda kv: (-kv[1], kv[0])))
    out.append(Caveat("limitation", "Wire copy and near-duplicates",
                      f"{counted(agency_n, 'article')} {agree(agency_n, 'carries', 'carry')} a wire agency in their dateline" + (f" ({agencies})" if agencies else "")
                      + "; wire stories are republished by several outlets, so the same text can appear under several "
                      f"outlets. {counted(clusters, 'near-duplicate cluster')} {agree(clusters, 'groups', 'group')} "
                      f"{counted(clustered, 'article')}; splits follow clusters."))
    return out


# --------------------------------------------------------------------------- figure


def _xml_text(value: str, limit: int = 48) -> str:
    """Text safe inside an SVG element: characters XML 1.0 forbids dropped, markup escaped,
    long names cut (the full name is in the datasheet's outlet table)."""
    value = "".join(c for c in value if c in "\t\n\r" or ("\x20" <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
                    or c >= "\U00010000")
    value = " ".join(value.split())
    if len(value) > limit:
        value = value[:limit - 1] + "…"
    return html.escape(value, quote=True)


def _num(value: float) -> str:
    """A coordinate printed the same way everywhere: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _y_ticks(top: int, most: int = 6) -> list[int]:
    """Round, evenly spaced integer ticks from 0 to at least `top`, at most `most` intervals."""
    top = max(top, 1)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if math.ceil(top / step) <= most:
                return list(range(0, step * math.ceil(top / step) + 1, step))
        magnitude *= 10


def render_month_plot(stats: Stats) -> bytes:
    """SVG of articles per month of publication, stacked by outlet.

    Written element by element from the stats, with fixed-precision coordinates: the bytes depend
    on nothing but the stats (no plotting library, font file, renderer or compressor), so any
    machine rebuilds the same file. Text is drawn by the viewer, in a sans-serif font.
    """
    w, h = PLOT_WIDTH, PLOT_HEIGHT
    left, top, width, height = 70.0, 70.0, 680.0, 330.0
    undated = stats.per_month.get("unknown", 0)
    title = "Articles per month of publication, by outlet"
    note = (f"{counted(undated, 'article')} without a published date {agree(undated)} not shown."
            if undated and stats.date_min else "")
    out: list[str] = []
    add = out.append
    if not stats.date_min or not stats.date_max:
        desc = f"No article has a published date ({stats.rows} undated)."
        body = [(f'<text x="{_num(left + width / 2)}" y="{_num(top + height / 2)}" text-anchor="middle" '
                 f'font-size="14">{_xml_text(desc, 200)}</text>')]
    else:
        months = _month_range(stats.date_min, stats.date_max)
        totals: Counter = Counter()
        for (outlet, month), count in stats.per_outlet_month.items():
            if month != "unknown":
                totals[outlet] += count
        ranked = sorted(totals, key=lambda o: (-totals[o], o))
        shown, pooled = ranked[:PLOT_OUTLETS], ranked[PLOT_OUTLETS:]
        series = [(o, [stats.per_outlet_month.get((o, m), 0) for m in months]) for o in shown]
        if pooled:
            series.append((f"{len(pooled)} other outlets",
                           [sum(stats.per_outlet_month.get((o, m), 0) for o in pooled) for m in months]))
        stacked = [sum(counts[i] for _, counts in series) for i in range(len(months))]
        ticks = _y_ticks(max(stacked))
        scale = height / ticks[-1]
        band = width / len(months)
        bar = band * 0.85
        dated = sum(stacked)
        desc = (f"{counted(dated, 'dated article')} from {counted(len(ranked), 'outlet')}, {months[0]} to {months[-1]}, stacked by "
                f"outlet ({len(shown)} drawn one by one" + (f", {len(pooled)} pooled)." if pooled else ")."))
        body = []
        # axes: y grid labels, then the bars of each outlet as one path, then the x labels
        for t in ticks:
            y = top + height - t * scale
            body.append(f'<line x1="{_num(left - 4)}" y1="{_num(y)}" x2="{_num(left)}" y2="{_num(y)}" stroke="#000"/>'
                        f'<text x="{_num(left - 7)}" y="{_num(y + 4)}" text-anchor="end">{t}</text>')
        bottom = [0] * len(months)
        for i, (label, counts) in enumerate(series):
            rects = []
            for x, (b, c) in enumerate(zip(bottom, counts)):
                if c:
                    x0 = left + x * band + (band - bar) / 2
                    y0 = top + height - (b + c) * scale
                    rects.append(f"M{_num(x0)} {_num(y0)}h{_num(bar)}v{_num(c * scale)}h{_num(-bar)}z")
            body.append(f'<path fill="{PLOT_COLOURS[i % len(PLOT_COLOURS)]}" d="{"".join(rects)}">'
                        f"<title>{_xml_text(label)}</title></path>")
            bottom = [b + c for b, c in zip(bottom, counts)]
        step = max(1, math.ceil(len(months) / 18))
        for x in range(0, len(months), step):
            cx, cy = left + x * band + band / 2, top + height
            body.append(f'<line x1="{_num(cx)}" y1="{_num(cy)}" x2="{_num(cx)}" y2="{_num(cy + 4)}" stroke="#000"/>'
                        f'<text transform="translate({_num(cx + 3)} {_num(cy + 10)}) rotate(-60)" '
                        f'text-anchor="end">{months[x]}</text>')
        body.append(f'<path d="M{_num(left)} {_num(top)}V{_num(top + height)}H{_num(left + width)}" fill="none" '
                    'stroke="#000"/>')
        body.append(f'<text transform="translate(30 {_num(top + height / 2)}) rotate(-90)" text-anchor="middle">'
                    "articles</text>")
        body.append(f'<text x="{_num(left + width / 2)}" y="{h - 12}" text-anchor="middle">'
                    "month of publication (UTC)</text>")
        lx, ly = left + width + 15, top
        body.append(f'<text x="{_num(lx)}" y="{_num(ly + 4)}">outlet</text>')
        for i, (label, _) in enumerate(series):
            y = ly + 18 * (i + 1)
            body.append(f'<rect x="{_num(lx)}" y="{_num(y - 5)}" width="14" height="10" '
                        f'fill="{PLOT_COLOURS[i % len(PLOT_COLOURS)]}"/>'
                        f'<text x="{_num(lx + 20)}" y="{_num(y + 4)}">{_xml_text(label, 28)}</text>')
    add('<?xml version="1.0" encoding="UTF-8"?>')
    add(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="title desc" font-family="DejaVu Sans, Verdana, Arial, sans-serif" font-size="11">')
    add(f'<title id="title">{_xml_text(title, 200)}</title>')
    add(f'<desc id="desc">{_xml_text(desc, 400)}</desc>')
    add(f'<rect width="{w}" height="{h}" fill="#fff"/>')
    add(f'<text x="{_num(left)}" y="{_num(top - (32 if note else 14))}" font-size="15">{_xml_text(title, 200)}</text>')
    if note:
        add(f'<text x="{_num(left)}" y="{_num(top - 12)}" font-size="12">{_xml_text(note, 200)}</text>')
    out.extend(body)
    add("</svg>")
    return ("\n".join(out) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- datasheet


def _outlet_table(facts: list[OutletFacts], n: int) -> str:
    rows = []
    for f in facts:
        if not f.registered:
            rows.append([f"`{f.slug}`", f.name, f.articles, _pct(f.articles, n), "not in the registry: unknown", "–", "–", "–"])
            continue
        sources = "; ".join(f"<{url}> (checked {checked})" for url, checked in f.sources) or "–"
        rows.append([f"`{f.slug}`", f.name, f.articles, _pct(f.articles, n), f.ownership or "no sourced claim",
                     f.state_affiliation or "no sourced claim", f.country or "no sourced claim", sources])
    return _table(["outlet", "name", "articles", "share", "ownership", "state affiliation", "country", "sources"], rows)


def _composition(stats: Stats, counts: dict[str, int], splits: dict[str, int]) -> str:
    n = stats.rows
    undated = stats.per_month.get("unknown", 0)
    parts = [
        (f"The release holds **{counted(n, 'article')}** from **{counted(len(stats.per_outlet), 'outlet')}** "
         f"({counted(counts['read'], 'raw record')} read, {counts['quarantined']} quarantined, "
         f"{counted(counts['duplicates'], 'exact duplicate')} merged)."),
        "",
        "### Articles per split",
        _table(["split", "articles", "share"], [[s, splits[s], _pct(splits[s], n)] for s in SPLITS]),
        "",
        "### Articles per outlet",
        _table(
            ["outlet", "name", "articles", "share", *SPLITS],
            [[o, _md_text(stats.outlet_names.get(o, "")), c, _pct(c, n), *[stats.per_outlet_split.get((o, s), 0) for s in SPLITS]]
             for o, c in sorted(stats.per_outlet.items(), key=lambda kv: (-kv[1], kv[0]))],
        ),
        "",
        "### Articles per language",
        _table(["language", "articles", "share"], [[k, v, _pct(v, n)] for k, v in sorted(stats.per_language.items())]),
        "",
        "### Articles per month (of publication)",
        _table(["month", "articles"], [[k, v] for k, v in sorted(stats.per_month.items())]),
        "",
        f"![Articles per month of publication, stacked by outlet]({PLOT_FILE})",
        "",
        f"*Figure: articles per month of publication, stacked by outlet (`{PLOT_FILE}`)"
        + (f"; {counted(undated, 'article')} without a published date {agree(undated)} not shown.*"
           if undated else ".*"),
        "",
        "### Text length (characters of the normalized body)",
        _table(["length", "articles"], [[b, stats.length_hist.get(b, 0)] for b in length_bins()]),
        "",
        (f"Mean length: {stats.chars_total // n if n else 0} characters; "
         f"shortest {stats.lengths_min or 0}, longest {stats.lengths_max or 0}."),
        "",
        "### Missing metadata",
        _table(["field", "records missing it", "share"],
               [[f, stats.missing.get(f, 0), _pct(stats.missing.get(f, 0), n)]
                for f in ("url", "published_at", "retrieved_at", "authors", "headline", "language")]),
    ]
    return "\n".join(parts)


def _collection(stats: Stats, counts: dict[str, int], raw_files: int) -> str:
    when = (f"captured between {stats.retrieved_min} and {stats.retrieved_max} (UTC dates)"
            if stats.retrieved_min else "with no capture time recorded")
    missing = stats.missing.get("retrieved_at", 0)
    return (f"This release was built from {counted(raw_files, 'raw file')} holding "
            f"{counted(counts['read'], 'raw record')}, {when}"
            + (f"; {counted(missing, 'published article')} {agree(missing, 'has', 'have')} no capture time."
               if missing and stats.retrieved_min else "."))


def _preprocessing(stats: Stats, reasons: Counter, duplicates: int) -> str:
    removed = _table(
        ["kind", "times removed", "articles affected"],
        [[k, v, stats.removed_records[k]] for k, v in sorted(stats.removed_kinds.items())],
    ) if stats.removed_kinds else "Nothing was removed from any article."
    quarantine = _table(["reason", "records"], [[r, n] for r, n in sorted(reasons.items())]) if reasons else "No record was quarantined."
    clusters, clustered = stats.near_duplicate_clusters()
    return "\n".join([
        f"Normalizer version: `{NORMALIZER_VERSION}`.",
        "",
        "### What normalization took out of the text, by kind",
        removed,
        "",
        "### Quarantined raw records, by reason (listed one by one in `quarantine.jsonl`)",
        quarantine,
        "",
        "### Duplicates and near-duplicates",
        (f"{counted(duplicates, 'raw record')} {agree(duplicates, 'was an exact duplicate', 'were exact duplicates')} "
         "(same id or same normalized body) of a published article and "
         f"{agree(duplicates, 'was', 'were')} merged into it; each is listed in `duplicates.jsonl` with the id it merged into. The copy kept is "
         "the earliest capture."),
        "",
        (f"{counted(clusters, 'near-duplicate cluster')} (values of `cluster_id` shared by more than one article) "
         f"{agree(clusters, 'groups', 'group')} {clustered} of the {counted(stats.rows, 'published article')}."),
    ])


def _bias(stats: Stats, facts: list[OutletFacts], notes: list[Caveat]) -> str:
    parts = [
        "### Outlets: ownership and state affiliation",
        ("From the outlet registry (`builder/outlets/`); a claim is published only with its source and the date it "
         "was checked."),
        "",
        _outlet_table(facts, stats.rows),
        "",
        "### Corpus-level caveats (computed)",
    ]
    return "\n".join(parts + [f"- **{c.title}:** {c.text}" for c in notes])


def _distribution(config: Config) -> str:
    return "\n".join([
        f"Licence: `{config.license}`. {config.license_note}".rstrip(),
        "",
        ("Files: Parquet splits under `data/`; `README.md` (dataset card, with the `datasets` features and splits in "
         f"its YAML header); `DATASHEET.md` with `{PLOT_FILE}`; `{CROISSANT_FILE}` (Croissant 1.1 metadata with the "
         f"Responsible AI fields); `{CITATION_FILE}`; `MANIFEST.json` (counts and the SHA-256 of every file); "
         "`quarantine.jsonl`, `duplicates.jsonl` and `takedowns.jsonl`."),
        "",
        f"Cite this release as given in `{CITATION_FILE}` (BibTeX in `README.md`)."
        + (f" DOI: [{config.doi}](https://doi.org/{config.doi})." if config.doi else "")
        + (f" Homepage: <{config.homepage}>." if config.homepage else ""),
    ])


def _maintenance(takedowns: list[dict[str, Any]]) -> str:
    if not takedowns:
        return "### Takedowns\nNo article has been taken down from this release."
    rows = [[f"`{t.get('id', '')}`", t.get("url") or "–", t.get("reason", "")]
            for t in sorted(takedowns, key=lambda t: (str(t.get("id", "")), str(t.get("url") or "")))]
    taken = len(takedowns)
    return "\n".join([(f"### Takedowns\n{counted(taken, 'article')} {agree(taken, 'was', 'were')} taken down "
                       "from this release on request:"),
                      "", _table(["id", "url", "reason"], rows)])


def _provenance(config: Config, fingerprint: str, raw_files: int) -> str:
    versions = package_versions()
    lock = lock_sha256()
    lock_line = (f"- Dependency lock: `{LOCK_FILE}` `sha256:{lock}` (the build ran from the builder's source tree)."
                 if lock else
                 f"- Dependency lock: none — this build did not run from the builder's source tree (no `{LOCK_FILE}` "
                 "next to `pyproject.toml`), so only the package versions above pin the environment.")
    return "\n".join([
        f"- Raw input: {counted(raw_files, 'file')}, fingerprint `sha256:{fingerprint}` (over each file's relative path and SHA-256).",
        f"- Builder version `{__version__}`, normalizer version `{NORMALIZER_VERSION}`.",
        "- Packages that shape the output bytes: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
        lock_line,
        f"- Configuration (`sha256:{config_sha256(config)}`):",
        "",
        "```json",
        json.dumps(config.source, indent=2, sort_keys=True, default=str),
        "```",
    ])


def render_datasheet(config: Config, stats: Stats, counts: dict[str, int], splits: dict[str, int],
                     reasons: Counter, duplicates: int, fingerprint: str, raw_files: int,
                     takedowns: list[dict[str, Any]] | None = None) -> str:
    facts = outlet_facts(stats)
    notes = caveats(stats, facts)
    langs = sorted(k for k in stats.per_language if k != "unknown")
    countries = Counter()
    for f in facts:
        countries[f.country or "unknown"] += 1
    n = stats.rows
    fills = {
        "pretty_name": config.pretty_name or config.name,
        "version": config.version,
        "description": config.description,
        "creators": ("Compiled by " + ", ".join(map(display_name, config.authors)) + ", as named in the corpus configuration.")
                    if config.authors
                    else "The corpus configuration names no authors.",
        "composition": _composition(stats, counts, splits),
        "collection": _collection(stats, counts, raw_files),
        "preprocessing": _preprocessing(stats, reasons, duplicates),
        "bias": _bias(stats, facts, notes),
        "distribution": _distribution(config),
        "maintenance": _maintenance(takedowns or []),
        "language_variety": ("BCP 47 tags " + ", ".join(f"`{x}`" for x in langs) + " as recorded by the scraper or the outlet registry."
                             if langs else "no language was recorded."),
        "countries": ", ".join(f"{c} ({k} outlet{'s' if k > 1 else ''})" for c, k in sorted(countries.items())) or "none",
        "speech_situation": (f"published between {stats.date_min} and {stats.date_max} (months, UTC)."
                             if stats.date_min else "publication dates are unknown."),
        "recording_quality": (f"{stats.missing.get('retrieved_at', 0)} of {counted(n, 'article')} "
                              f"{agree(stats.missing.get('retrieved_at', 0), 'has', 'have')} no capture time, "
                              f"{stats.missing.get('url', 0)} no URL."),
        "provenance": _provenance(config, fingerprint, raw_files),
    }
    return _fill("datasheet.md", fills)


# --------------------------------------------------------------------------- dataset card


def _field_rows() -> list[list[str]]:
    reprs = feature_reprs()
    return [[f"`{name}`", f"`{_feature_type(reprs[name])}`", info.description or ""]
            for name, info in Article.model_fields.items()]


def _feature_type(text: str) -> str:
    """A feature as printed, or, when that is long, the name of its kind (a struct is a dict)."""
    if len(text) < 80:
        return text
    return "dict" if text.startswith("{") else text.split("(", 1)[0]


def card_header(config: Config, stats: Stats, splits: dict[str, int], split_bytes: dict[str, int]) -> dict[str, Any]:
    """The card's YAML metadata: Hub tags, `configs` for the loader and `dataset_info` with the features."""
    present = [s for s in SPLITS if splits[s]]
    langs = sorted({k.split("-")[0].lower() for k in stats.per_language if k != "unknown"})
    header: dict[str, Any] = {
        "pretty_name": config.pretty_name or config.name,
        "license": config.license,
    }
    if config.license == "other" and config.license_note:
        header["license_details"] = config.license_note
    header.update({
        "language": langs or ["en"],
        "multilinguality": ["multilingual" if len(langs) > 1 else "monolingual"],
        "annotations_creators": ["no-annotation"],
        "language_creators": ["found"],
        "source_datasets": ["original"],
        "task_categories": TASK_CATEGORIES,
        "tags": TAGS,
        "size_categories": [size_category(stats.rows)],
        # datasets cannot load a split with no rows, so only non-empty splits are declared.
        "configs": [{"config_name": "default", "default": True,
                     "data_files": [{"split": s, "path": f"data/{s}-*.parquet"} for s in present]}],
        "dataset_info": {
            "features": features_yaml(),
            # num_bytes is the size of the split's Parquet files: a value that depends only on the data.
            "splits": [{"name": s, "num_bytes": split_bytes[s], "num_examples": splits[s]} for s in present],
            "download_size": sum(split_bytes.values()),
            "dataset_size": sum(split_bytes.values()),
        },
    })
    return header


def render_card(config: Config, stats: Stats, splits: dict[str, int], split_bytes: dict[str, int],
                data_files: dict[str, int] | None = None, counts: dict[str, int] | None = None,
                reasons: Counter | None = None) -> str:
    present = [s for s in SPLITS if splits[s]]
    files = sorted(data_files or {})
    first_split = present[0] if present else "train"
    first_file = next((f for f in files if f.startswith(f"data/{first_split}-")), f"data/{first_split}-00000-of-00001.parquet")
    facts = outlet_facts(stats)
    n = stats.rows
    counts = counts or {"read": n, "published": n, "quarantined": 0, "duplicates": 0}
    reasons = reasons or Counter()
    langs = ", ".join(f"{k} ({_pct(v, n)})" for k, v in sorted(stats.per_language.items(), key=lambda kv: (-kv[1], kv[0])))
    details = [
        f"- **Curated by:** {', '.join(map(display_name, config.authors)) or 'not named in the corpus configuration'}",
        f"- **Language(s) (NLP):** {langs or 'none recorded'}",
        f"- **License:** `{config.license}`" + (f" — {config.license_note}" if config.license_note else ""),
        f"- **Version:** {config.version}" + (f", released {config.release_date.isoformat()}" if config.release_date else ""),
        f"- **Size:** {counted(n, 'article')} from {counted(len(stats.per_outlet), 'outlet')}"
        + (f", published {stats.date_min} to {stats.date_max}" if stats.date_min else ""),
    ]
    sources = [
        f"- **Repository:** {config.homepage or 'not set in the corpus configuration'}",
        "- **DOI:** " + (f"[{config.doi}](https://doi.org/{config.doi})" if config.doi else "none assigned"),
        f"- **Built with:** news-corpus-builder {__version__}, normalizer {NORMALIZER_VERSION}",
    ]
    split_rows = [[s, splits[s], _pct(splits[s], n), sum(1 for f in files if f.startswith(f"data/{s}-"))] for s in SPLITS]
    processing = (f"{counts['read']} raw records were read: {counts['published']} published, {counts['quarantined']} "
                  f"quarantined, {counts['duplicates']} merged as exact duplicates."
                  + (" Quarantined by reason: " + ", ".join(f"`{r}` {k}" for r, k in sorted(reasons.items())) + "."
                     if reasons else ""))
    outlet_rows = [[f"`{f.slug}`", f.name, f.articles, f.ownership or ("unknown" if not f.registered else "no sourced claim"),
                    f.state_affiliation or "–", f.country or "–"] for f in facts]
    fills = {
        "pretty_name": config.pretty_name or config.name,
        "description": config.description,
        "version": config.version,
        "summary": f"{counted(n, 'article')} · {counted(len(stats.per_outlet), 'outlet')} · splits: "
                   + ", ".join(f"{s} {splits[s]}" for s in SPLITS),
        "details": "\n".join(details),
        "sources": "\n".join(sources),
        "fields": _table(["field", "type", "description"], _field_rows()),
        "splits": _table(["split", "articles", "share", "files"], split_rows),
        "first_split": first_split,
        "first_file": first_file,
        "processing": processing,
        "outlets": _table(["outlet", "name", "articles", "ownership", "state affiliation", "country"], outlet_rows),
        "caveats": "\n".join(f"- **{c.title}:** {c.text}" for c in caveats(stats, facts)),
        "bibtex": render_bibtex(config),
        "apa": render_apa(config),
        "authors": ", ".join(map(display_name, config.authors)) or "not named in the corpus configuration",
    }
    front = yaml.safe_dump(card_header(config, stats, splits, split_bytes), sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{front}---\n\n" + _fill("card.md", fills)


# --------------------------------------------------------------------------- release


def write_release_docs(out: Path, config: Config, raw: Path, counts: dict[str, int], splits: dict[str, int],
                       data_files: dict[str, int], stats: Stats, reasons: Counter, duplicates: int,
                       takedowns: list[dict[str, Any]] | None = None, raw_digests: dict[str, str] | None = None) -> None:
    """Write every document of the release, then MANIFEST.json over all of them. `raw_digests`:
    SHA-256s of raw files the build already took from the bytes it read."""
    from builder.croissant import render_croissant

    takedowns = takedowns or []
    fingerprint, raw_files = raw_fingerprint(raw, raw_digests)
    split_bytes = {s: sum((out / f).stat().st_size for f in data_files if f.startswith(f"data/{s}-")) for s in SPLITS}
    (out / PLOT_FILE).write_bytes(render_month_plot(stats))
    (out / "README.md").write_text(render_card(config, stats, splits, split_bytes, data_files, counts, reasons),
                                   encoding="utf-8", newline="\n")
    datasheet = render_datasheet(config, stats, counts, splits, reasons, duplicates, fingerprint, raw_files, takedowns)
    (out / "DATASHEET.md").write_text(datasheet, encoding="utf-8", newline="\n")
    facts = outlet_facts(stats)
    croissant = render_croissant(config, out, data_files, stats, facts, caveats(stats, facts), counts, raw_files, takedowns)
    (out / CROISSANT_FILE).write_text(render_json(croissant), encoding="utf-8", newline="\n")
    (out / CITATION_FILE).write_text(render_cff(config), encoding="utf-8", newline="\n")
    rows = dict(data_files)
    rows["quarantine.jsonl"] = counts["quarantined"]
    rows["duplicates.jsonl"] = duplicates
    rows["takedowns.jsonl"] = counts.get("takedowns", 0)
    files = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file() and p.name != "MANIFEST.json"):
        rel = path.relative_to(out).as_posix()
        files[rel] = {"sha256": file_sha256(path), "rows": rows.get(rel)}
    lock = lock_sha256()
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
        "requirements_lock_sha256": f"sha256:{lock}" if lock else None,
        "files": files,
    }
    (out / "MANIFEST.json").write_text(render_json(manifest), encoding="utf-8")

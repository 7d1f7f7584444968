"""Command line: a thin layer over the library API."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from builder import __version__
from builder.config import ConfigError, load_config
from builder.outlets import RegistryError
from builder.pipeline import BuildError, build
from builder.takedown import TakedownError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corpus-builder",
        description="Build, verify, compare, release and publish versioned news-corpus releases.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build a release from raw captures")
    b.add_argument("--raw", type=Path, required=True, help="directory of raw captures (*.jsonl, *.txt)")
    b.add_argument("--out", type=Path, required=True, help="release directory to write (replaced atomically)")
    b.add_argument("--config", type=Path, default=Path("corpus.toml"), help="corpus config (default: corpus.toml)")
    b.add_argument("--strict", action="store_true", help="exit 1 when any record is quarantined")
    b.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    b.add_argument("--quiet", action="store_true", help="print nothing but errors")
    b.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="who runs the per-record stages: local processes, or a Dask cluster")
    b.add_argument("--cache", type=Path, help="directory of the incremental cache: unchanged JSONL files are not "
                   "read again, and records already processed with the same builder, normalizer, registry and "
                   "limits are not processed again")
    b.add_argument("--scheduler", help="Dask scheduler address (default: a local cluster of --workers processes)")

    s = sub.add_parser("schema", help="write schema/article.schema.json from the published model")
    s.add_argument("--check", action="store_true", help="exit 1 if the checked-in schema differs")

    v = sub.add_parser("verify", help="check a release against its MANIFEST.json (and, with --rebuild, a rebuild)")
    v.add_argument("dir", type=Path, metavar="DIR", help="release directory")
    v.add_argument("--rebuild", action="store_true", help="also rebuild from --raw and compare every file byte for byte")
    v.add_argument("--raw", type=Path, metavar="RAW", help="raw captures the release was built from (with --rebuild)")
    v.add_argument("--config", type=Path, default=Path("corpus.toml"), help="corpus config (default: corpus.toml)")
    v.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes for --rebuild")

    d = sub.add_parser("diff", help="articles added, removed, changed and moved between two releases")
    d.add_argument("old", type=Path, metavar="OLD", help="older release directory")
    d.add_argument("new", type=Path, metavar="NEW", help="newer release directory")
    d.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    r = sub.add_parser("release", help="build the configured version and record it in releases/ and CHANGELOG.md")
    r.add_argument("--raw", type=Path, default=Path("raw"), help="directory of raw captures (default: raw)")
    r.add_argument("--config", type=Path, default=Path("corpus.toml"), help="corpus config (default: corpus.toml)")
    r.add_argument("--out", type=Path, default=Path("release"), help="release directory to write (default: release)")
    r.add_argument("--releases", type=Path, default=Path("releases"),
                   help="recorded manifests, one releases/<version>/MANIFEST.json each (default: releases)")
    r.add_argument("--changelog", type=Path, default=Path("CHANGELOG.md"), help="data changelog (default: CHANGELOG.md)")
    r.add_argument("--previous", type=Path, metavar="DIR",
                   help="directory of the previous release, to list article changes in the changelog")
    r.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")

    p = sub.add_parser("publish", help="upload a release to a Hugging Face dataset repo and tag it v<version>")
    p.add_argument("dir", type=Path, metavar="RELEASE_DIR", help="release directory (checked against its MANIFEST.json)")
    p.add_argument("--repo", required=True, metavar="ORG/NAME", help="dataset repository on the Hub")
    p.add_argument("--token", help="Hub access token (default: HF_TOKEN or the token saved by `hf auth login`)")
    p.add_argument("--private", action="store_true", help="create the repository as private if it does not exist")
    return parser


def _progress(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None
    return lambda message: print(f"\r\033[K{message}", end="", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            if args.workers < 1:
                raise BuildError("--workers must be at least 1")
            config = load_config(args.config)
            result = build(args.raw, args.out, config, workers=args.workers, engine=args.engine,
                           scheduler=args.scheduler, cache=args.cache, progress=_progress(args.quiet))
            if not args.quiet:
                if sys.stderr.isatty():
                    print("\r\033[K", end="", file=sys.stderr)
                print(result.summary())
            if args.strict and result.counts["quarantined"]:
                print(f"--strict: {result.counts['quarantined']} record(s) quarantined; see {result.out / 'quarantine.jsonl'}",
                      file=sys.stderr)
                return 1
            return 0
        if args.command == "schema":
            from builder.schema import (
                ARTICLE_SCHEMA_PATH,
                article_json_schema,
                render_json,
                write_article_schema,
            )

            if args.check:
                current = ARTICLE_SCHEMA_PATH.read_text(encoding="utf-8") if ARTICLE_SCHEMA_PATH.exists() else ""
                if current != render_json(article_json_schema()):
                    print(f"{ARTICLE_SCHEMA_PATH} is out of date; run: python -m builder schema", file=sys.stderr)
                    return 1
                return 0
            write_article_schema()
            print(f"wrote {ARTICLE_SCHEMA_PATH}")
            return 0
        if args.command == "verify":
            from builder.verify import run as run_verify

            return run_verify(args)
        if args.command == "diff":
            from builder.diff import run as run_diff

            return run_diff(args)
        if args.command == "release":
            from builder.release import run as run_release

            return run_release(args)
        if args.command == "publish":
            from builder.publish import PublishError, publish

            try:
                done = publish(args.dir, args.repo, token=args.token, private=True if args.private else None)
            except PublishError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            print(f"published {args.dir} to {done.repo} at tag {done.tag} (commit {done.commit})\n"
                  f'load it with: load_dataset("{done.repo}", revision="{done.tag}")')
            return 0
    except (ConfigError, BuildError, RegistryError, TakedownError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Publish a built release to a Hugging Face dataset repository as one commit and a `v{version}` tag."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.describe import file_sha256

# The Hub's repo id: one namespace and one name of letters, digits, '-', '_' and '.'.
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


class PublishError(RuntimeError):
    """The release cannot be published; the message says why."""


@dataclass(frozen=True)
class Published:
    repo: str
    tag: str
    commit: str
    url: str


def verify_release(release: Path) -> dict[str, Any]:
    """The release's manifest, after checking that every file it lists is there, unchanged, and nothing else is."""
    manifest_path = release / "MANIFEST.json"
    if not manifest_path.is_file():
        raise PublishError(f"{release} is not a release: no MANIFEST.json (build one with `corpus-builder build`)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    listed = manifest.get("files", {})
    present = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file() and p.name != "MANIFEST.json"}
    if missing := sorted(set(listed) - present):
        raise PublishError(f"{release}: files listed in MANIFEST.json are missing: {', '.join(missing)}")
    if extra := sorted(present - set(listed)):
        raise PublishError(f"{release}: files not listed in MANIFEST.json: {', '.join(extra)}")
    if changed := sorted(rel for rel, entry in listed.items() if file_sha256(release / rel) != entry["sha256"]):
        raise PublishError(f"{release}: files differ from their MANIFEST.json checksum: {', '.join(changed)}")
    return manifest


def publish(release: Path, repo: str, *, token: str | None = None, private: bool | None = None,
            api: Any = None) -> Published:
    """Upload `release` to the dataset repo `repo` and tag that commit `v{version}`.

    The commit mirrors the release exactly: files of an earlier version that this one does not have
    (e.g. a shard count that shrank) are deleted in the same commit, so the split globs in the card
    never pick up stale shards. A version that is already tagged is refused: a released version is
    never changed.
    """
    if not _REPO_ID.match(repo):
        raise PublishError(f"--repo {repo!r} is not ORG/NAME")
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    manifest = verify_release(release)
    tag = f"v{manifest['version']}"
    api.create_repo(repo, repo_type="dataset", exist_ok=True, private=private)
    tags = {ref.name for ref in api.list_repo_refs(repo, repo_type="dataset").tags}
    if tag in tags:
        raise PublishError(f"{repo} already has tag {tag}; a released version is never changed — bump `version` "
                           "in the config and rebuild")
    commit = api.upload_folder(
        repo_id=repo,
        repo_type="dataset",
        folder_path=str(release),
        commit_message=f"Release {tag}",
        commit_description=f"{manifest['name']} {manifest['version']}, built by news-corpus-builder "
                           f"{manifest.get('builder_version', '?')}; file checksums in MANIFEST.json.",
        delete_patterns="*",
    )
    api.create_tag(repo, tag=tag, revision=commit.oid, repo_type="dataset",
                   tag_message=f"{manifest['name']} {manifest['version']}")
    return Published(repo=repo, tag=tag, commit=commit.oid, url=f"https://huggingface.co/datasets/{repo}/tree/{tag}")

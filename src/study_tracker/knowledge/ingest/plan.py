"""The scan plan of an ingest: which files are new, changed, touched, unchanged, gone or unusable.

Nothing is read except to hash a file whose size or modification time changed, so re-ingesting
an unchanged corpus costs a ``stat`` per file.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from study_tracker.knowledge.index import catalog
from study_tracker.knowledge.ingest.loaders.base import WHOLE_FILE_FORMATS, LoaderOptions, file_format
from study_tracker.knowledge.progress import Progress

SKIP_DIRS = frozenset({"__pycache__", "node_modules", ".git", ".venv", "venv"})


@dataclass
class FilePlan:
    """One file and what to do with it (``reason`` says why it is skipped)."""

    path: str
    root: str
    action: str  # new | changed | touched | unchanged | skip
    size: int = 0
    mtime_ns: int = 0
    sha256: str = ""
    fmt: str = ""
    file_id: int | None = None
    reason: str = ""
    options: LoaderOptions = field(default_factory=LoaderOptions)


@dataclass
class Plan:
    """Every file under the roots, the files that are gone, and the roots' loader options."""

    files: list[FilePlan] = field(default_factory=list)
    removed: list[tuple[int, str]] = field(default_factory=list)  # (file id, path)
    root_options: dict[str, tuple[str, bool]] = field(default_factory=dict)  # root -> (options json, bundled)
    dropped_roots: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for f in self.files if f.action == action)


def norm_path(path: str | os.PathLike) -> str:
    return str(Path(path).expanduser().resolve())


def is_under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def walk_files(root: str, exclude: str) -> list[str]:
    """Files under ``root`` (or ``root`` itself), hidden files and tool folders left out."""
    if not os.path.isdir(root):
        return [root]
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".")
            and d not in SKIP_DIRS
            and not is_under(os.path.join(dirpath, d), exclude)
        )
        out.extend(os.path.join(dirpath, n) for n in sorted(filenames) if not n.startswith("."))
    return out


def options_json(o: LoaderOptions) -> str:
    return json.dumps({"text_field": o.text_field, "id_field": o.id_field, "title_field": o.title_field})


def options_from_json(s: str, base: LoaderOptions) -> LoaderOptions:
    d = json.loads(s or "{}")
    return LoaderOptions(
        text_field=d.get("text_field", base.text_field),
        id_field=d.get("id_field", base.id_field),
        title_field=d.get("title_field", base.title_field),
        max_file_bytes=base.max_file_bytes,
        max_line_bytes=base.max_line_bytes,
        max_inflated_bytes=base.max_inflated_bytes,
    )


def scan_files(
    roots: dict[str, tuple[LoaderOptions, bool]],
    old: sqlite3.Connection | None,
    exclude: str,
    progress: Progress,
) -> Plan:
    """Decide, per file, what to do: no file is read except to hash one whose size or mtime changed."""
    plan = Plan()
    known = catalog.known_files(old) if old is not None else {}
    seen: set[str] = set()
    listing: list[tuple[str, str, LoaderOptions]] = []
    for root, (opts, bundled) in roots.items():
        if not os.path.lexists(root):
            if any(is_under(p, root) for p in known):
                plan.dropped_roots.append(root)  # a known root that vanished: its files go below
            continue
        plan.root_options[root] = (options_json(opts), bundled)
        listing.extend((p, root, opts) for p in walk_files(root, exclude))
    with progress.step("Scanning files", total=len(listing), unit="files") as step:
        for path, root, opts in listing:
            step.advance()
            if path in seen:
                continue
            seen.add(path)
            plan.files.append(plan_file(path, root, opts, known.get(path)))
    for root in roots:
        for path, row in known.items():
            if is_under(path, root) and path not in seen:
                plan.removed.append((row["id"], path))
    return plan


def plan_file(path: str, root: str, opts: LoaderOptions, row: sqlite3.Row | None) -> FilePlan:
    fp = FilePlan(path=path, root=root, action="new", file_id=row["id"] if row else None, options=opts)
    kept = " (previous version kept)" if row else ""
    try:
        st = os.stat(path)
    except OSError as e:
        fp.action, fp.reason = "skip", f"cannot read: {e.strerror or e}{kept}"
        return fp
    if not os.path.isfile(path):
        fp.action, fp.reason = "skip", f"not a regular file{kept}"
        return fp
    fp.size, fp.mtime_ns = st.st_size, st.st_mtime_ns
    fmt, compressed = file_format(Path(path))
    fp.fmt = fmt or ""
    if fmt is None:
        fp.action, fp.reason = "skip", f"unsupported file type {Path(path).suffix or '(no extension)'}"
        return fp
    if st.st_size == 0:
        fp.action, fp.reason = "skip", f"empty file{kept}"
        return fp
    limit = opts.max_file_bytes
    if limit and fmt in WHOLE_FILE_FORMATS and st.st_size > limit:
        fp.action = "skip"
        fp.reason = (
            f"too large: {st.st_size / 1e6:.1f} MB is over the {limit / 1e6:.0f} MB limit "
            f"(setting STUDY_KNOWLEDGE_MAX_FILE_MB){kept}"
        )
        return fp
    same_options = row is not None and row["options"] == opts.fingerprint()
    if row is not None and same_options and row["size"] == st.st_size and row["mtime_ns"] == st.st_mtime_ns:
        fp.action, fp.sha256 = "unchanged", row["sha256"]
        return fp
    try:
        fp.sha256 = sha256_file(path)
    except OSError as e:
        fp.action, fp.reason = "skip", f"cannot read: {e.strerror or e}{kept}"
        return fp
    if row is not None:
        fp.action = "touched" if same_options and row["sha256"] == fp.sha256 else "changed"
    return fp

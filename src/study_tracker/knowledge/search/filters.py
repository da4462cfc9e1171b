"""Search filters and the row masks they select in a loaded index.

A filter (source, kind, pain point) becomes a boolean mask over index rows, computed from per-row
attributes read once per generation, and a mask over sections (those with an allowed row) for the
section BM25 index. Masks are cached per filter: the same few filters come back query after query.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from study_tracker.errors import InvalidQuery
from study_tracker.knowledge.documents import KINDS
from study_tracker.knowledge.index import catalog

MASK_CACHE_SIZE = 64  # filters remembered per generation, most recent first


@dataclass(frozen=True)
class Filters:
    """Search filters; None means "any".

    ``source`` is a path: results come from files at or under it (an absolute path, or a relative
    one that exists) or whose path contains it (anything else, e.g. ``guides``).
    """

    source: str | None = None
    kind: str | None = None
    pain_point: bool | None = None

    @classmethod
    def of(cls, value: Filters | Mapping[str, Any] | None) -> Filters | None:
        """Filters from a ``Filters``, a dict with those keys, or None.

        Raises:
            InvalidQuery: the dict has a key other than source, kind and pain_point.
        """
        if value is None or isinstance(value, Filters):
            return value
        unknown = set(value) - {"source", "kind", "pain_point"}
        if unknown:
            raise InvalidQuery(
                f"Unknown filter(s): {', '.join(sorted(unknown))}; use source, kind or pain_point."
            )
        return cls(value.get("source") or None, value.get("kind") or None, value.get("pain_point"))

    def empty(self) -> bool:
        return self.source is None and self.kind is None and self.pain_point is None


def source_matches(path: str, source: str) -> bool:
    """Whether the file at ``path`` passes a ``source`` filter (see :class:`Filters`)."""
    if os.path.isabs(source) or source.startswith("~") or os.path.exists(source):
        root = str(Path(source).expanduser().resolve())
        return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
    return source.lower() in path.lower()


class RowMasks:
    """The filter attributes of every row of one generation, and the masks filters select.

    Args:
        db: the generation's catalog (read once, here).
        n: rows in the index.
        n_sections: sections in the section index.
    """

    def __init__(self, db: sqlite3.Connection, n: int, n_sections: int) -> None:
        self.n, self.n_sections = n, n_sections
        self.kinds = list(KINDS)
        self.row_kind = np.zeros(n, dtype=np.int8)
        self.row_file = np.zeros(n, dtype=np.int32)
        self.row_pain = np.zeros(n, dtype=bool)
        # The section of each row (its document and heading path): hybrid fusion pools chunk scores
        # per section, the unit a long passage was cut from (a whole record or abstract when the
        # document has no headings), rather than per file, where one long guide is one document.
        row_section = [0] * n
        for row, pain, kind, file_id, section in catalog.row_attributes(db):
            row_section[row] = section
            if kind not in self.kinds:
                self.kinds.append(kind)
            self.row_kind[row] = self.kinds.index(kind)
            self.row_file[row] = file_id
            self.row_pain[row] = bool(pain)
        self.row_section = np.asarray(row_section, dtype=np.int64)
        self.files = catalog.file_paths(db)
        self._lock = threading.Lock()
        self._rows: OrderedDict[Filters, np.ndarray] = OrderedDict()
        self._sections: OrderedDict[Filters, np.ndarray] = OrderedDict()

    def rows(self, filters: Filters | None) -> np.ndarray | None:
        """Rows allowed by ``filters`` (None: all rows).

        Raises:
            InvalidQuery: an unknown kind.
        """
        if filters is None or filters.empty():
            return None
        with self._lock:
            hit = self._rows.get(filters)
        if hit is not None:
            return hit
        allowed = np.ones(self.n, dtype=bool)
        if filters.kind is not None:
            if filters.kind not in KINDS:
                raise InvalidQuery(f"kind must be one of {', '.join(KINDS)}; got {filters.kind!r}.")
            code = self.kinds.index(filters.kind)
            allowed &= self.row_kind == code
        if filters.pain_point is not None:
            allowed &= self.row_pain if filters.pain_point else ~self.row_pain
        if filters.source is not None:
            source = filters.source
            ids = np.array([i for i, p in self.files.items() if source_matches(p, source)], dtype=np.int32)
            allowed &= np.isin(self.row_file, ids)
        return self._remember(self._rows, filters, allowed)

    def sections(self, filters: Filters | None, allowed: np.ndarray | None) -> np.ndarray | None:
        """Sections with at least one row of ``allowed`` (the rows ``filters`` allow; None: all)."""
        if filters is None or allowed is None:
            return None
        with self._lock:
            hit = self._sections.get(filters)
        if hit is None:
            hit = np.zeros(self.n_sections, dtype=bool)
            hit[self.row_section[allowed]] = True
            self._remember(self._sections, filters, hit)
        return hit

    def _remember(
        self, cache: OrderedDict[Filters, np.ndarray], key: Filters, mask: np.ndarray
    ) -> np.ndarray:
        """Keep ``mask`` in one of the small per-filter caches (the most recent filters)."""
        with self._lock:
            cache[key] = mask
            if len(cache) > MASK_CACHE_SIZE:
                cache.popitem(last=False)
        return mask

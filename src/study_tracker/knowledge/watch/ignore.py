"""Which file events matter to the index: editors' temporary files, hidden files, tool folders and
files of a type ingest does not read are ignored, so saving a note starts one ingest, not five.

A path that is gone cannot be told apart from a folder that was moved away, so a deleted path is
ignored only when its name says it was temporary; a spurious ingest costs a ``stat`` per file
(the scan finds nothing changed and keeps the live index).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from study_tracker.knowledge.ingest.loaders.base import file_format
from study_tracker.knowledge.ingest.plan import SKIP_DIRS, is_under

# Names editors and tools give the files they write beside the real one (vim's swap files and its
# "4913" write test, Emacs' .#lock and #autosave#, backups ending in ~, JetBrains' safe-write
# files, gedit's output streams, LibreOffice locks, partial downloads, generic .tmp files).
_TEMP_NAME = re.compile(
    r"""(
        ^\.                             # hidden: .swp, .#lock, .~lock.x#, .goutputstream-XYZ
      | ^\#.*\#$                        # Emacs auto-save
      | ~$                              # backups
      | ^4913$                          # vim's can-I-write-here test file
      | \.(sw[a-p]|sw[x-z]|tmp|temp|bak|part|crdownload|download|kate-swp)$
      | ___jb_(tmp|old|bak)___$         # JetBrains safe write
      | ^~\$                            # Office owner files
    )""",
    re.IGNORECASE | re.VERBOSE,
)


def is_temporary(name: str) -> bool:
    """True for the name of an editor's or a tool's temporary, backup or lock file."""
    return bool(_TEMP_NAME.search(name))


def matters(path: str, *, roots: list[str], exclude: str) -> bool:
    """Whether a change at ``path`` may change the index.

    Args:
        path: the changed file or folder (absolute).
        roots: the watched folders; parts of ``path`` below its root are checked.
        exclude: the knowledge folder (the index's own writes must never start an ingest).
    """
    if is_under(path, exclude):
        return False
    root = next((r for r in roots if is_under(path, r)), None)
    if root is None:
        return False
    parts = Path(os.path.relpath(path, root)).parts if path != root else ()
    if any(p.startswith(".") or p in SKIP_DIRS for p in parts[:-1]):
        return False  # inside a hidden or tool folder: ingest never reads it
    name = parts[-1] if parts else os.path.basename(path)
    if is_temporary(name):
        return False
    if os.path.isfile(path):
        fmt, _ = file_format(Path(path))
        return fmt is not None
    return True

"""config.json and exports are written through a temporary file: on a full disk the old file stays
whole and no temporary file is left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from study_tracker.errors import DiskFull
from study_tracker.tracker.files import atomic_write_text
from tests.faults import FULL_DISK_MODES, file_size_limit, fill, tmpfs

CHILD = """
import sys
from pathlib import Path
from study_tracker.errors import DiskFull
from study_tracker.tracker.files import atomic_write_text
try:
    atomic_write_text(Path(sys.argv[1]), "x" * 100_000)
except DiskFull as exc:
    print("DiskFull:", exc.message)
"""


def test_a_write_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "g" / "config.json"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two" and [p.name for p in target.parent.iterdir()] == ["config.json"]


@pytest.mark.parametrize("mode", FULL_DISK_MODES)
def test_a_full_disk_keeps_the_old_file_and_leaves_no_temporary_one(tmp_path: Path, mode: str) -> None:
    folder = tmp_path / "disk"
    if mode == "tmpfs":
        with tmpfs(folder, "256k"):
            target = folder / "config.json"
            target.write_text('{"old": true}')
            filler = fill(folder)
            with pytest.raises(DiskFull, match="No space left on device"):
                atomic_write_text(target, "x" * 100_000)
            filler.unlink()
            assert target.read_text() == '{"old": true}'
            assert sorted(p.name for p in folder.iterdir()) == ["config.json"]
        return
    folder.mkdir()
    target = folder / "config.json"
    target.write_text('{"old": true}')
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(target)],
        capture_output=True,
        text=True,
        env=os.environ,
        preexec_fn=file_size_limit(1024),
        timeout=120,
    )
    assert out.stdout.startswith("DiskFull:") and "File too large" in out.stdout, out.stdout + out.stderr
    assert target.read_text() == '{"old": true}'
    assert sorted(p.name for p in folder.iterdir()) == ["config.json"]

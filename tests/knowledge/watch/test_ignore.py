"""Which file events start an ingest: editors' temporary files and the index's own writes do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from study_tracker.knowledge.watch.ignore import is_temporary, matters


@pytest.mark.parametrize(
    "name",
    [
        ".notes.md.swp",
        ".notes.md.swx",
        "notes.md.swp",
        "4913",
        "notes.md~",
        ".#notes.md",
        "#notes.md#",
        "notes.md.tmp",
        "notes.md___jb_tmp___",
        "notes.md___jb_old___",
        ".goutputstream-ABC123",
        ".~lock.notes.odt#",
        "~$notes.docx",
        "paper.pdf.part",
        "paper.pdf.crdownload",
        ".DS_Store",
    ],
)
def test_temporary_names(name: str) -> None:
    assert is_temporary(name)


@pytest.mark.parametrize("name", ["notes.md", "4913.md", "report-2024.pdf", "tilde~name.txt", "a#b.md"])
def test_real_names(name: str) -> None:
    assert not is_temporary(name)


def test_matters(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    (root / ".git").mkdir(parents=True)
    (root / "node_modules").mkdir()
    (root / "a.md").write_text("x")
    (root / "image.png").write_bytes(b"x")
    knowledge = tmp_path / "data" / "knowledge"
    roots, exclude = [str(root)], str(knowledge)

    def m(p: Path) -> bool:
        return matters(str(p), roots=roots, exclude=exclude)

    assert m(root / "a.md")
    assert m(root / "gone.md")  # deleted: it may have been indexed
    assert m(root / "moved-away-folder")  # deleted: it may have been a folder
    assert m(root)
    assert not m(root / "image.png")  # a file of a type ingest does not read
    assert not m(root / ".git" / "index")
    assert not m(root / "node_modules" / "x.md")
    assert not m(root / "a.md.swp")
    assert not m(tmp_path / "elsewhere.md")
    assert not matters(
        str(knowledge / "gen-000002" / "catalog.sqlite"), roots=[str(tmp_path)], exclude=exclude
    )

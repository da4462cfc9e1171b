"""Watched folders on the Sources page in a real browser, against `study serve`: a folder added with
the form is watched by the server (a new file becomes searchable with no command run), and
"Stop watching" takes its files out of the index."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.model]


def test_watch_a_folder_from_the_sources_page(server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "notes"
    server.ingest(folder, {"raft.md": "# Raft\n\nA leader is elected with randomized election timeouts.\n"})
    server.start(today="2026-11-22")

    page.goto(server.url + "/sources")
    page.get_by_label("Folder to watch").fill(str(folder))
    page.get_by_role("button", name="Watch this folder").click()
    assert "indexed in the background" in page.locator("#flash").inner_text()
    assert str(folder) in page.locator("section.watched").inner_text()

    (folder / "kafka.md").write_text("# Kafka\n\nMessages keep their order only within one partition.\n")
    deadline = time.monotonic() + 300
    while True:
        hits = httpx.get(
            server.url + "/api/search", params={"q": "order within one partition", "mode": "bm25"}
        )
        if [h["source"] for h in hits.json().get("results", [])][:1] == [str(folder / "kafka.md")]:
            break
        assert time.monotonic() < deadline, "the server never indexed the new file"
        time.sleep(1)

    page.reload()
    page.get_by_role("button", name=f"Stop watching {folder}").click()
    assert "removed 2 file(s) from the index" in page.locator("#flash").inner_text()
    assert "No folder is watched yet." in page.locator("section.watched").inner_text()
    assert (
        httpx.get(server.url + "/api/search", params={"q": "partition", "mode": "bm25"}).json()["results"]
        == []
    )

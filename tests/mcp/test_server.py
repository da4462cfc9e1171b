"""``study mcp``: the MCP server driven by the official SDK's client over stdio, as an MCP host
runs it (a child process with a temporary data folder), plus the input checks as a table and a
raw-protocol check that stdout carries nothing but JSON-RPC.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import anyio
import pytest

from mcp import Client, StdioServerParameters
from study_tracker.db.engine import session_scope
from study_tracker.mcp.server import call
from study_tracker.mcp.tools import Toolbox
from study_tracker.tracker import agenda, stats
from tests.cli_helpers import study
from tests.conftest import make_settings
from tests.knowledge.kb_helpers import make_pdf

TODAY = "2026-11-22"
YESTERDAY = "2026-11-21"
NOTES = {
    "training.md": "# Training\n\n## Dropout\n\nDropout randomly zeroes activations during training, which "
    "stops units from co-adapting and so reduces overfitting. It is switched off at test time.\n\n"
    "## Warmup\n\nLearning rate warmup raises the rate slowly over the first steps.\n",
    "storage.md": "# Storage engines\n\n## LSM trees\n\nAn LSM tree turns random writes into sequential "
    "writes: each write lands in a memtable that is flushed to disk as a sorted file.\n",
}


def server_env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,  # PYTHONPATH, HF_HUB_OFFLINE...
        "STUDY_DATA_DIR": str(data_dir),
        "STUDY_TODAY": TODAY,
        "STUDY_TIMEZONE": "UTC",
        "STUDY_INDEX_ON_START": "false",
        "STUDY_LLM_BASE_URL": "",
    }


def result(r: Any) -> dict[str, Any]:
    assert not r.is_error, r.content[0].text
    data = json.loads(r.content[0].text)
    assert data == r.structured_content  # the text block is the structured result, serialized
    return data


def error(r: Any) -> str:
    assert r.is_error
    text = r.content[0].text
    assert "Traceback" not in text
    return text


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One server session: every call the tests below look at, in order, with its result."""
    root = tmp_path_factory.mktemp("mcp")
    data_dir = root / "data"
    notes = root / "notes"
    notes.mkdir()
    for name, text in NOTES.items():
        (notes / name).write_text(text)
    (notes / "paper.pdf").write_bytes(make_pdf(["Consistent hashing moves few keys when a node joins."]))
    # Yesterday's completion, from the CLI: its first review is due today.
    done = study(data_dir, "complete", "coding_patterns", "--difficulty", "3", today=YESTERDAY)
    assert done.returncode == 0, done.stderr
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "study_tracker", "mcp"], env=server_env(data_dir)
    )
    out: dict[str, Any] = {"data_dir": data_dir, "notes": notes}

    async def run() -> None:
        async with Client(params) as client:
            out["tools"] = (await client.list_tools()).tools
            out["search_empty"] = await client.call_tool("search", {"query": "dropout"})
            out["add"] = await client.call_tool("add_source", {"path": str(notes)})
            out["add_again"] = await client.call_tool("add_source", {"path": str(notes)})
            out["add_relative"] = await client.call_tool("add_source", {"path": "notes"})
            out["add_missing"] = await client.call_tool("add_source", {"path": str(root / "gone")})
            out["search"] = await client.call_tool("search", {"query": "dropout overfitting", "k": 3})
            out["search_pdf"] = await client.call_tool("search", {"query": "nodes and keys", "kind": "pdf"})
            out["search_bad_k"] = await client.call_tool("search", {"query": "dropout", "k": 0})
            out["ask"] = await client.call_tool("ask", {"question": "What does dropout do?"})
            out["ask_empty"] = await client.call_tool("ask", {"question": "  "})
            out["due"] = await client.call_tool("due_today", {"group": "swe"})
            out["review"] = await client.call_tool(
                "log_review", {"completion_id": 1, "rating": "good", "notes": "recalled the workflow"}
            )
            out["review_bad_rating"] = await client.call_tool(
                "log_review", {"completion_id": 1, "rating": "great"}
            )
            out["complete"] = await client.call_tool(
                "log_completion", {"track": "coding_patterns", "difficulty": 2, "notes": "via MCP"}
            )
            out["complete_twice"] = await client.call_tool(
                "log_completion", {"track": "coding_patterns", "difficulty": 2}
            )
            out["review_not_due"] = await client.call_tool(
                "log_review", {"completion_id": 2, "rating": "easy"}
            )

    # A fresh thread: Playwright's sync API (the browser tests, earlier in the same run) leaves
    # an event loop registered on the main thread, and anyio refuses to start inside one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(anyio.run, run).result()
    return out


@pytest.mark.model
def test_tools_are_listed_with_their_input_schemas(session: dict[str, Any]) -> None:
    tools = {t.name: t for t in session["tools"]}
    assert list(tools) == ["search", "ask", "due_today", "log_completion", "log_review", "add_source"]
    k = tools["search"].input_schema["properties"]["k"]
    assert (k["minimum"], k["maximum"]) == (1, 200)
    assert tools["search"].input_schema["required"] == ["query"]
    assert tools["log_review"].input_schema["properties"]["rating"]["enum"] == [
        "again",
        "hard",
        "good",
        "easy",
    ]
    assert tools["search"].annotations.read_only_hint and not tools["log_review"].annotations.read_only_hint


@pytest.mark.model
def test_add_source_ingests_and_reports(session: dict[str, Any]) -> None:
    assert "No knowledge index" in error(session["search_empty"])
    added = result(session["add"])
    assert (added["files_added"], added["skipped"], added["up_to_date"]) == (3, [], False)
    assert added["documents"] == 3 and added["chunks_indexed"] >= 4
    again = result(session["add_again"])
    assert again["up_to_date"] and again["files_unchanged"] == 3 and again["files_added"] == 0
    assert error(session["add_relative"]) == "path: must be an absolute path (or start with ~)"
    assert error(session["add_missing"]).startswith("path: no such file or folder: ")


@pytest.mark.model
def test_search_returns_passages_with_where_they_are(session: dict[str, Any]) -> None:
    found = result(session["search"])
    top = found["passages"][0]
    training = session["notes"] / "training.md"
    assert top["source"] == str(training) and top["title"] == "Training"
    assert top["heading_path"] == ["Training", "Dropout"] and top["rank"] == 1
    assert training.read_text()[top["start"] : top["end"]] == top["text"]
    assert top["text"].startswith("Dropout randomly zeroes") and isinstance(top["score"], float)
    (pdf,) = [p for p in result(session["search_pdf"])["passages"]]
    assert pdf["kind"] == "pdf" and pdf["page"] == 1 and "read_by_ocr" not in pdf
    assert error(session["search_bad_k"]) == "k: must be greater than or equal to 1"


@pytest.mark.model
def test_ask_answers_with_numbered_citations(session: dict[str, Any]) -> None:
    answer = result(session["ask"])
    assert "[1]" in answer["answer"] and "overfitting" in answer["answer"]
    cited = {s["n"]: s for s in answer["sources"]}
    assert cited[1]["source"] == str(session["notes"] / "training.md")
    assert cited[1]["heading_path"] == ["Training", "Dropout"]
    assert any("overfitting" in q for q in cited[1]["quotes"])
    assert error(session["ask_empty"]) == "The question is empty: type what you want to know."


@pytest.mark.model
def test_review_and_completion_change_the_tracker(session: dict[str, Any]) -> None:
    due = result(session["due"])
    assert due["today"] == TODAY
    (review,) = due["reviews"]
    assert (review["completion_id"], review["track"], review["day"]) == (1, "coding_patterns", 1)
    assert review["questions"] and review["questions"][0]["prompt"]
    patterns = next(t for t in due["tracks"] if t["track"] == "coding_patterns")
    assert patterns["day"] == 2 and not patterns["completed"]

    logged = result(session["review"])
    assert (logged["completion_id"], logged["rating"], logged["step"]) == (1, "good", 1)
    assert logged["next_review"] > TODAY and not logged["graduated"]
    assert error(session["review_bad_rating"]) == "rating: must be 'again', 'hard', 'good' or 'easy'"

    completed = result(session["complete"])
    assert (completed["completion_id"], completed["day"], completed["local_date"]) == (2, 2, TODAY)
    assert completed["next_review"] == "2026-11-23"
    assert "already complete" in error(session["complete_twice"])
    assert error(session["review_not_due"]) == "this review is not due until 2026-11-23"

    # What the tracker holds now, read through the services.
    settings = make_settings(session["data_dir"])
    with session_scope(settings.db_url) as db:
        h = stats.history(db, group="swe", today=date.fromisoformat(TODAY))
        assert h.totals["completions"] == 2 and h.totals["reviews"] == 1
        entry = next(e for e in h.recent if e.kind == "review")
        assert (entry.track, entry.day, entry.grade, entry.notes) == (
            "coding_patterns",
            1,
            3,
            "recalled the workflow",
        )
        assert str(agenda.next_review_date(db, completion_id=1)) == logged["next_review"]


BAD_INPUTS = [
    ("search", {}, "query: is required"),
    ("search", {"query": "x", "k": 201}, "k: must be less than or equal to 200"),
    ("search", {"query": "x", "mode": "fuzzy"}, "mode: must be 'hybrid', 'dense' or 'bm25'"),
    ("search", {"query": "x", "colour": "red"}, "colour: is not a known field"),
    ("ask", {"question": "why?", "k": 51}, "k: must be less than or equal to 50"),
    ("due_today", {"group": "art"}, "group: must be one of swe, ml_specialist"),
    (
        "log_completion",
        {"track": "coding_patterns", "difficulty": 6},
        "difficulty: must be less than or equal to 5",
    ),
    (
        "log_completion",
        {"track": "coding_patterns", "difficulty": "hard"},
        "difficulty: must be a whole number",
    ),
    (
        "log_completion",
        {"track": "coding_patterns", "difficulty": 2, "day": 0},
        "day: must be greater than or equal to 1",
    ),
    ("log_completion", {"track": "nope", "difficulty": 2}, "unknown track 'nope'"),
    (
        "log_review",
        {"completion_id": 0, "rating": "good"},
        "completion_id: must be greater than or equal to 1",
    ),
    ("log_review", {"completion_id": 99, "rating": "good"}, "no review is scheduled for completion 99"),
    (
        "log_review",
        {"completion_id": 1, "rating": "good", "notes": "x" * 20_001},
        "notes: String should have at most 20000 characters",
    ),
    ("add_source", {"path": ""}, "path: String should have at least 1 character"),
    (
        "teleport",
        {},
        "Unknown tool 'teleport'; the tools are search, ask, due_today, log_completion, log_review, add_source.",
    ),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "message"), BAD_INPUTS, ids=[f"{t}-{m[:24]}" for t, _, m in BAD_INPUTS]
)
def test_bad_input_is_a_tool_error_naming_the_field(
    tmp_path: Path, tool: str, arguments: dict[str, Any], message: str
) -> None:
    toolbox = Toolbox(make_settings(tmp_path / "data"))
    data, text = call(toolbox, tool, arguments)
    assert data is None
    assert text.startswith(message), text


def test_stdout_carries_only_the_protocol(tmp_path: Path) -> None:
    """Raw JSON-RPC over the pipes: every stdout line is a protocol message, logs are on stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "study_tracker", "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=server_env(tmp_path / "data"),
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()  # type: ignore[union-attr]

    def send(message: dict[str, Any]) -> None:
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]

    try:
        send(
            {
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "test", "version": "1"},
                },
            }
        )
        init = json.loads(lines.get(timeout=120))
        assert init["id"] == 1 and init["result"]["serverInfo"]["name"] == "study-tracker"
        send({"method": "notifications/initialized"})
        # due_today migrates the new database first: Alembic logs every step.
        send(
            {"id": 2, "method": "tools/call", "params": {"name": "due_today", "arguments": {"group": "swe"}}}
        )
        reply = json.loads(lines.get(timeout=120))
        assert reply["id"] == 2 and not reply["result"].get("isError")
        assert reply["result"]["structuredContent"]["today"] == TODAY
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        proc.wait(timeout=60)
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    assert all(json.loads(line)["jsonrpc"] == "2.0" for line in rest)
    logs = proc.stderr.read()  # type: ignore[union-attr]
    assert "study-tracker MCP server on stdio" in logs and "alembic" in logs
    assert proc.returncode == 0

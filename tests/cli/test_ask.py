"""``study ask`` and ``study eval-qa`` as a user runs them: bad input exits 2 with a message naming the
field, and (with the real model on a tiny corpus) answers, sources, JSON, LLM streaming, eval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import COLUMNS, study
from tests.fake_llm import FakeLLM

NOTES = {
    "storage.md": "# Storage engines\n\n## LSM trees\n\nAn LSM tree turns random writes into sequential writes. "
    "Each write lands in an in-memory memtable that is flushed to disk as a sorted file.\n\n"
    "## B-trees\n\nA B-tree updates fixed-size pages in place and keeps reads to a few page visits.\n",
    "training.md": "# Training\n\n## Dropout\n\nDropout randomly zeroes activations during training, which "
    "stops units from co-adapting and so reduces overfitting. It is switched off at test time.\n",
}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", ""], "The question is empty"),
        (["ask", "   "], "The question is empty"),
        (["ask", "y" * 100_000], "The question is 100,000 characters long"),
        (["ask", "what?", "--llm"], "No LLM is configured: set STUDY_LLM_BASE_URL"),
        (["ask", "what?", "--k", "0"], "--k"),
        (["eval-qa", "missing.jsonl"], "missing.jsonl: cannot be read"),
    ],
)
def test_bad_input_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    r = study(tmp_path, *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in " ".join((r.stderr + r.stdout).split())


def test_bad_qa_line_names_file_and_line(tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"question": "ok?", "source": "a.md"}\n{"question": "no source"}\n')
    r = study(tmp_path, "eval-qa", str(qa))
    assert r.returncode == 2 and "line 2: field 'source'" in " ".join(r.stderr.split())


def test_ask_on_an_empty_knowledge_base(tmp_path: Path) -> None:
    r = study(tmp_path, "ask", "what is dropout?")
    assert r.returncode == 1 and "No knowledge index" in r.stderr and "study ingest" in r.stderr


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ask-cli")
    notes = root / "notes"
    notes.mkdir()
    for name, text in NOTES.items():
        (notes / name).write_text(text)
    r = study(root, "ingest", "--quiet", str(notes))
    assert r.returncode == 0, r.stderr
    return root


@pytest.mark.model
def test_ask_extractive_prints_answer_and_sources(kb_dir: Path) -> None:
    r = study(kb_dir, "ask", "why does dropout reduce overfitting?", "--k", "2")
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "reduces overfitting. [1]" in out and "Sources" in out
    assert "Training > Dropout" in out and "training.md" in out


@pytest.mark.model
def test_ask_json_and_follow_up(kb_dir: Path) -> None:
    r = study(kb_dir, "ask", "and when is it switched off?", "--previous", "what is dropout?", "--json")
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["rewritten"] and "dropout" in body["query"].lower() and body["mode"] == "extractive"
    assert body["sources"][0]["heading_path"] == ["Training", "Dropout"] and body["sources"][0]["cited"]
    r = study(kb_dir, "ask", "how do I bake sourdough bread?", "--json")
    assert json.loads(r.stdout)["mode"] == "none"


@pytest.mark.model
def test_ask_streams_the_llm_answer_and_falls_back(kb_dir: Path) -> None:
    with FakeLLM("Dropout stops co-adaptation [1]. Also [8].") as fake:
        r = study(kb_dir, "ask", "why does dropout reduce overfitting?", STUDY_LLM_BASE_URL=fake.base_url)
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "Dropout stops co-adaptation [1]. Also [8]." in out  # streamed as it came
    assert "Checked answer: Dropout stops co-adaptation [1]. Also." in out
    assert "[8]" in r.stderr and "removed" in r.stderr
    assert fake.requests and fake.requests[0]["stream"] is True
    with FakeLLM(mode="500") as fake:
        r = study(
            kb_dir,
            "ask",
            "why does dropout reduce overfitting?",
            STUDY_LLM_BASE_URL=fake.base_url,
            STUDY_LLM_RETRIES="0",
        )
    assert r.returncode == 0 and "HTTP 500" in r.stderr and "extractive answer" in " ".join(r.stderr.split())
    assert "reduces overfitting. [1]" in " ".join(r.stdout.split())
    r = study(
        kb_dir,
        "ask",
        "why does dropout reduce overfitting?",
        "--no-llm",
        STUDY_LLM_BASE_URL="http://127.0.0.1:9",
    )
    assert (
        r.returncode == 0
        and "reduces overfitting. [1]" in " ".join(r.stdout.split())
        and not r.stderr.strip()
    )


@pytest.mark.model
def test_eval_qa_on_a_tiny_fixture(kb_dir: Path, tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    rows = [
        {"question": "how do LSM trees make writes fast?", "source": "storage.md", "phrases": ["sequential"]},
        {"question": "what stops units co-adapting?", "source": "notes/training.md", "phrases": ["dropout"]},
        {
            "question": "what does a B-tree do with its pages?",
            "source": "training.md",
            "phrases": ["in place"],
        },
    ]
    qa.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    r = study(kb_dir, "eval-qa", str(qa), "--verbose")
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    # The third question names the wrong source on purpose: hit@1 is 2 of 3, and it is listed.
    assert "source hit@1 │ 66.7% │ 2/3" in out and "source hit@3 │ 100.0% │ 3/3" in out
    assert "answer has a phrase │ 100.0% │ 3/3" in out
    assert "Misses" in out and "what does a B-tree do with its pages?" in out


@pytest.mark.model
def test_a_long_streamed_answer_wraps_between_words(kb_dir: Path) -> None:
    """The reply streams in pieces; printed, it is wrapped at the terminal's width between words
    (before, it was one long line the terminal cut wherever the edge fell)."""
    reply = " ".join(["Dropout zeroes random activations during training [1]."] * 12)
    with FakeLLM(reply) as fake:
        r = study(kb_dir, "ask", "why does dropout reduce overfitting?", STUDY_LLM_BASE_URL=fake.base_url)
    assert r.returncode == 0, r.stderr
    answer = r.stdout[: r.stdout.index("Sources")]
    lines = [line for line in answer.split("\n") if line.strip()]
    assert len(lines) > 1 and all(len(line) <= COLUMNS for line in lines)
    assert answer.split() == reply.split()  # every word whole, in order

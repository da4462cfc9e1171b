"""The QA evaluation: file format checks and hit@k / phrase figures on a small real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from study_tracker.knowledge.eval.qa import QADataError, contains_phrase, evaluate_qa, load_qa, source_matches
from tests.knowledge.answer_helpers import answer_kb


def write(path: Path, rows: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["{not json"], "line 1: not valid JSON"),
        ([[1, 2]], "line 1: expected an object"),
        (
            [{"question": "q", "source": "a.md"}, {"question": "", "source": "a.md"}],
            "line 2: field 'question'",
        ),
        ([{"question": "q"}], "line 1: field 'source'"),
        ([{"question": "q", "source": ["a.md", 3]}], "line 1: field 'source'"),
        ([{"question": "q", "source": "a.md", "phrases": "one"}], None),
        ([{"question": "q", "source": "a.md", "phrases": [1]}], "line 1: field 'phrases'"),
        (["", "  "], "no questions"),
    ],
)
def test_load_qa_rejects_bad_lines(tmp_path: Path, rows: list, message: str | None) -> None:
    path = write(tmp_path / "qa.jsonl", rows)
    if message is None:  # a single phrase as a string is accepted
        assert load_qa(path)[0].phrases == ("one",)
        return
    with pytest.raises(QADataError) as info:
        load_qa(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_load_qa_missing_file(tmp_path: Path) -> None:
    with pytest.raises(QADataError, match="cannot be read"):
        load_qa(tmp_path / "nope.jsonl")


@pytest.mark.parametrize(
    ("path", "expected", "match"),
    [
        ("/x/guides/system-design.md", "system-design.md", True),
        ("/x/guides/ml-system-design.md", "system-design.md", False),
        ("/x/guides/system-design.md", "guides/system-design.md", True),
        ("/x/guides/system-design.md", "/x/guides/system-design.md", True),
        ("/x/guides/system-design.md", "other/system-design.md", False),
    ],
)
def test_source_matches(path: str, expected: str, match: bool) -> None:
    assert source_matches(path, expected) is match


def test_contains_phrase() -> None:
    assert contains_phrase("The Memtable\nfills up.", ["memtable fills"])
    assert not contains_phrase("nothing here", ["memtable", ""])


def test_evaluate_qa_counts_hits_and_phrases(tmp_path: Path) -> None:
    s, kb, _ = answer_kb(tmp_path)
    path = write(
        tmp_path / "qa.jsonl",
        [
            {
                "question": "why does dropout reduce overfitting?",
                "source": "ml.md",
                "phrases": ["co-adapting"],
            },
            {
                "question": "how does an LSM tree handle writes?",
                "source": "notes/storage.md",
                "phrases": ["sequential"],
            },
            {
                "question": "what does a B-tree update in place?",
                "source": "ml.md",
                "phrases": ["absent phrase"],
            },
            # off topic, and its "source" is in no index: a miss whatever retrieval ranks first
            {"question": "what is the capital of France?", "source": "atlas.md"},
        ],
    )
    report = evaluate_qa(kb, load_qa(path), settings=s)
    ranks = [r.rank for r in report.results]
    assert ranks[0] == 1 and ranks[1] == 1 and ranks[2] == 2  # B-tree question: storage.md first
    assert [r.phrase_hit for r in report.results] == [True, True, False, None]
    assert report.results[3].mode == "none" and report.nothing_relevant == 1
    assert report.hit_at_1 == pytest.approx(2 / 4) and report.phrase_rate == pytest.approx(2 / 3)
    assert report.with_phrases == 3 and {r.item.line for r in report.failures()} >= {3}
    assert 1 not in {r.item.line for r in report.failures()}
    assert report.latency(50) > 0

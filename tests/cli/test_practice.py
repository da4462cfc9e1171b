"""``study grade`` and ``study eval-grading`` from a shell: JSON lines out, figures, bad input
exits 2 naming the line and field, and the LLM grader with its fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from study_tracker.practice.grading.base import suggest_grade
from tests.cli_helpers import study
from tests.fake_llm import FakeLLM
from tests.practice.helpers import DATA, copy_model, exported_knowledge, question

Q = question("ml_algorithms", 3, 0)  # dropout at training and inference: four key points
LINES = [
    {
        "prompt": Q.prompt,
        "key_points": list(Q.key_points),
        "answer": "During training each unit is zeroed with probability p and the survivors are scaled by "
        "1/(1-p), so the expected activation is unchanged. At inference dropout is switched off and no "
        "rescaling is needed.",
    },
    {"prompt": Q.prompt, "key_points": list(Q.key_points), "answer": ""},
    {"prompt": Q.prompt, "key_points": list(Q.key_points), "answer": "Dropout is used at inference as well."},
]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("grade-cli")
    copy_model(exported_knowledge(tmp_path_factory), root)
    return root


def jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.model
def test_grade_writes_one_json_line_per_answer(data_dir: Path, tmp_path: Path) -> None:
    r = study(data_dir, "grade", str(jsonl(tmp_path / "a.jsonl", LINES)))
    assert r.returncode == 0, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3]
    good, blank, wrong = out
    assert {0, 1} <= set(good["covered"]) and good["grade"] == suggest_grade(4, good["covered"])
    assert all(k["reason"] for k in good["key_points"]) and good["grader"] == "offline"
    ev = good["key_points"][1]["evidence"]
    assert LINES[0]["answer"][ev["start"] : ev["end"]] == ev["text"]  # type: ignore[index]
    assert blank["covered"] == [] and blank["grade"] == "again"
    assert wrong["contradicted"] == [1] and wrong["grade"] == "again"


@pytest.mark.model
def test_eval_grading_prints_the_figures(data_dir: Path, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in (DATA / "grading_tune.jsonl").open()][:6]
    path = jsonl(tmp_path / "gold.jsonl", rows)
    r = study(data_dir, "eval-grading", str(path), "--json")
    assert r.returncode == 0, r.stderr
    figures = json.loads(r.stdout)
    assert figures["answers"] == 6 and 0 <= figures["key_point_f1"] <= 1
    assert figures["labelled_again"] == sum(row["grade"] == "again" for row in rows)
    r = study(data_dir, "eval-grading", str(path), "--verbose")
    assert r.returncode == 0, r.stderr
    for label in ("grade within one", "precision / recall / F1", "labelled again, graded good or easy"):
        assert label in r.stdout


@pytest.mark.model
def test_grade_with_the_llm_and_its_fallback(data_dir: Path, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "a.jsonl", LINES[:1])
    reply = json.dumps(
        {
            "key_points": [{"index": i, "status": "covered", "reason": "stated"} for i in range(4)],
            "grade": "easy",
            "correction": "",
        }
    )
    with FakeLLM(reply) as fake:
        r = study(
            data_dir, "grade", str(path), "--llm", STUDY_LLM_BASE_URL=fake.base_url, STUDY_LLM_MODEL="m"
        )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["grader"] == "llm" and json.loads(r.stdout)["grade"] == "easy"
    with FakeLLM("I'm sorry, I can't grade that.") as fake:
        r = study(data_dir, "grade", str(path), STUDY_LLM_BASE_URL=fake.base_url, STUDY_LLM_MODEL="m")
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["grader"] == "offline" and "declined to grade" in out["notice"]


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (["grade"], '{"prompt": "q", "answer": "a"}\n', "a.jsonl:1: key_points: is required"),
        (
            ["grade"],
            '{"prompt": "q", "key_points": ["k"], "answer": "a"}\nnope\n',
            "a.jsonl:2: line: is not valid JSON",
        ),
        (
            ["eval-grading"],
            '{"prompt": "q", "key_points": ["k"], "answer": "a"}\n',
            "a.jsonl:1: covered: is required",
        ),
        (["grade", "--llm"], '{"prompt": "q", "key_points": ["k"], "answer": "a"}\n', "No LLM is configured"),
    ],
)
def test_bad_input_exits_2(tmp_path: Path, args: list[str], content: str, message: str) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(content)
    r = study(tmp_path, *args[:1], str(path), *args[1:])
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in " ".join(r.stderr.split()) and r.stdout == ""


def test_missing_file_exits_2(tmp_path: Path) -> None:
    r = study(tmp_path, "grade", str(tmp_path / "none.jsonl"))
    assert r.returncode == 2 and "cannot read the file" in r.stderr


@pytest.mark.parametrize("command", ["grade", "eval-grading"])
def test_help(tmp_path: Path, command: str) -> None:
    r = study(tmp_path, command, "--help")
    assert r.returncode == 0 and "JSONL" in r.stdout and "--llm" in r.stdout

"""Bad imports: each is refused with a message naming the field, by the CLI (exit 2) and the API (422),
and the database is exactly as it was afterwards."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from study_tracker.config import Settings
from study_tracker.db.engine import get_engine
from study_tracker.web.app import create_app
from tests.cli_helpers import study
from tests.conftest import make_settings

Doc = dict[str, Any]


def _dup_completion_id(d: Doc) -> None:
    d["completions"].append(dict(d["completions"][0], day=2))


def _second_completion_of_a_day(d: Doc) -> None:
    # A day after the first, whatever the clock said when the export was made: the later of the two
    # is the one refused, and the message names it.
    first = datetime.fromisoformat(d["completions"][0]["completed_at"])
    later = (first + timedelta(days=1)).isoformat()
    d["completions"].append(dict(d["completions"][0], id=99, completed_at=later))


def _second_review_of_a_step(d: Doc) -> None:
    d["reviews"].append(dict(d["reviews"][0], id=99))


def _double_undo(d: Doc) -> None:
    d["undos"].append(
        {"id": 99, "completion_id": d["undos"][0]["completion_id"], "undone_at": d["undos"][0]["undone_at"]}
    )


def _set(path: str, value: object) -> Callable[[Doc], None]:
    def mutate(d: Doc) -> None:
        *parents, last = path.split(".")
        target: Any = d
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return mutate


# (mutation of a good export, field named, words of the message)
CASES = [
    (_dup_completion_id, "completions[2].id", "appears twice"),
    (_second_completion_of_a_day, "completions[2]", "already completed in the same run"),
    (_second_review_of_a_step, "reviews[1]", "already logged"),
    (_double_undo, "undos[1].completion_id", "appears twice"),
    (_set("groups.0.review_intervals", [7, 3, 1]), "groups[0].review_intervals", "intervals must increase"),
    (_set("groups.0.review_intervals", [1, 10**6]), "groups[0].review_intervals", "between 1 and 3650"),
    (
        _set("completions.0.local_date", "9999-01-01"),
        "completions[0].local_date",
        "between 2000-01-01 and 2100-12-31",
    ),
    (
        _set("completions.0.completed_at", "9999-01-01T10:00:00+00:00"),
        "completions[0].completed_at",
        "between",
    ),
    (_set("tracks.0.start_date", "1900-01-01"), "tracks[0].start_date", "between 2000-01-01"),
    (_set("tracks.0.acceleration_days", 10**15), "tracks[0].acceleration_days", "less than or equal to 3650"),
    (_set("completions.0.notes", "x" * 20_001), "completions[0].notes", "at most 20000 characters"),
    (_set("completions.0.id", 2**63), "completions[0].id", "less than or equal to 9223372036854775807"),
    (_set("reviews.0.completion_id", 0), "reviews[0].completion_id", "greater than or equal to 1"),
    (_set("undos.0.completion_id", 12345), "undos[0].completion_id", "no completion with id 12345"),
    (_set("groups.0.group", "nope"), "groups[0].group", "unknown group"),
    (_set("format", "other"), "format", "study-tracker-export"),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path) -> tuple[Path, Doc]:
    """A data folder with a completion, a review and an undone completion (made with the CLI), and
    its export: made once, copied for each test."""
    data = tmp_path_factory.mktemp("seeded") / "data"
    data.mkdir()
    shutil.copy(migrated_db, data / "study.db")
    for args in (
        ("complete", "ml_algorithms", "-d", "3"),
        ("complete", "system_design", "-d", "2"),
        ("undo", "--group", "swe"),
    ):
        assert study(data, *args).returncode == 0
    assert study(data, "review", "1", "--rating", "good", today="2026-11-23").returncode == 0
    out = data.parent / "good.json"
    assert study(data, "export", str(out)).returncode == 0
    get_engine(f"sqlite:///{data / 'study.db'}").dispose()
    doc = json.loads(out.read_text())
    assert len(doc["completions"]) == 2 and len(doc["reviews"]) == 1 and len(doc["undos"]) == 1
    return data, doc


@pytest.fixture
def prepared(seeded: tuple[Path, Doc], tmp_path: Path) -> Settings:
    shutil.copytree(seeded[0], tmp_path / "data")
    return make_settings(tmp_path / "data")


@pytest.fixture
def good(seeded: tuple[Path, Doc]) -> Doc:
    return json.loads(json.dumps(seeded[1]))


def _state(settings: Settings) -> str:
    """The whole stored state, as the export has it (its time stamp left out)."""
    out = settings.data_dir.parent / "state.json"
    assert study(settings.data_dir, "export", str(out)).returncode == 0
    doc = json.loads(out.read_text())
    doc.pop("exported_at")
    return json.dumps(doc, sort_keys=True)


@pytest.mark.parametrize(("mutate", "field", "words"), CASES, ids=[c[1] + ":" + c[2][:20] for c in CASES])
def test_a_bad_import_names_the_field_and_changes_nothing(  # type: ignore[no-untyped-def]
    prepared: Settings, good: Doc, mutate, field: str, words: str
) -> None:
    before = _state(prepared)
    doc = json.loads(json.dumps(good))
    mutate(doc)
    bad = prepared.data_dir.parent / "bad.json"
    bad.write_text(json.dumps(doc))

    out = study(prepared.data_dir, "import", str(bad), "--replace")
    message = " ".join(out.stderr.split())
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"{field}: " in message and words in message, message
    assert message.count("Error:") == 1 and "Traceback" not in message

    with TestClient(create_app(prepared)) as client:
        r = client.post("/api/import", params={"replace": "true"}, content=bad.read_bytes())
    assert r.status_code == 422, r.text
    assert any(e["field"] == field and words in e["message"] for e in r.json()["errors"]), r.json()

    assert _state(prepared) == before
    assert not list((prepared.data_dir / "backups").glob("*-import*"))  # refused before the backup


def test_a_deeply_nested_or_oversized_document_is_refused_before_it_is_parsed_whole(
    prepared: Settings, tmp_path: Path
) -> None:
    before = _state(prepared)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    out = study(prepared.data_dir, "import", str(deep))
    assert out.returncode == 2 and "nest deeper than 32 levels" in " ".join(out.stderr.split()), out.stderr
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"notes": "x" * 300_000}))
    out = study(prepared.data_dir, "import", str(big), STUDY_IMPORT_MAX_MB="0.1")
    assert out.returncode == 2 and "larger than the import limit of 0.1 MB" in " ".join(out.stderr.split())

    with TestClient(create_app(prepared)) as client:
        r = client.post("/api/import", content=deep.read_bytes())
        assert r.status_code == 422 and "nest deeper" in r.json()["detail"]
        prepared.import_max_mb = 0.1
        r = client.post("/api/import", content=big.read_bytes())
        assert r.status_code == 413 and r.json()["errors"][0]["field"] == "body"
    assert _state(prepared) == before


def test_a_good_import_is_preceded_by_a_backup(prepared: Settings, good: Doc, tmp_path: Path) -> None:
    file = tmp_path / "good.json"
    file.write_text(json.dumps(good))
    out = study(prepared.data_dir, "import", str(file), "--replace")
    assert out.returncode == 0, out.stderr
    [saved] = (prepared.data_dir / "backups").glob("*-import")
    assert "study restore " + saved.name in " ".join(out.stdout.split())
    assert json.loads((saved / "export.json").read_text())["completions"] == good["completions"]

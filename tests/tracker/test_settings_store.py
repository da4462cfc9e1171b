"""Config: saved in the database, mirrored to data/<group>/config.json both ways."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest

from study_tracker.config import Settings
from study_tracker.db.engine import session_scope
from study_tracker.errors import ConfigFileError, InvalidInput
from study_tracker.tracker import settings_store
from study_tracker.tracker.agenda import next_review_date
from study_tracker.tracker.service import complete_topic
from study_tracker.tracker.startup import prepare
from tests.conftest import TODAY
from tests.tracker.test_service import moment


def read(settings: Settings, group: str) -> dict:  # type: ignore[type-arg]
    return json.loads(settings_store.config_path(settings.data_dir, group).read_text())


def test_first_start_writes_both_config_files(prepared: Settings) -> None:
    ml = read(prepared, "ml_specialist")
    assert ml["settings"] == {
        "review_intervals": [1, 3, 7, 14],
        "scheduler": "fixed",
        "desired_retention": 0.9,
    }
    assert set(ml["tracks"]) == {"ml_algorithms", "ml_system_design", "recommendations"}
    # Tracks start when first used: a new install has none started.
    assert ml["tracks"]["ml_algorithms"] == {
        "start_date": None,
        "acceleration_days": 0,
        "paused": False,
        "hidden": False,
    }
    assert set(read(prepared, "swe")["tracks"]) == {"coding_patterns", "system_design"}


def test_hand_edit_of_review_intervals_is_picked_up_on_restart(prepared: Settings) -> None:
    with session_scope(prepared.db_url) as s:
        c = complete_topic(
            session=s, track="ml_algorithms", day=1, difficulty=3, notes="", now=moment(TODAY), zone=UTC
        )
    edited = read(prepared, "ml_specialist")
    edited["settings"]["review_intervals"] = [2, 5, 10]
    settings_store.config_path(prepared.data_dir, "ml_specialist").write_text(json.dumps(edited))

    prepare(prepared)  # a restart

    with session_scope(prepared.db_url) as s:
        assert settings_store.get_config(s, "ml_specialist").settings.review_intervals == [2, 5, 10]
        # Pending reviews were recomputed with the new rules.
        assert next_review_date(s, completion_id=c.id) == TODAY + timedelta(days=2)


def test_saving_rewrites_the_file(prepared: Settings) -> None:
    with session_scope(prepared.db_url) as s:
        payload = settings_store.get_config(s, "swe").model_dump(mode="json")
        payload["tracks"]["system_design"]["acceleration_days"] = 3
        settings_store.save_config(s, data_dir=prepared.data_dir, group="swe", payload=payload, zone=UTC)
    assert read(prepared, "swe")["tracks"]["system_design"]["acceleration_days"] == 3


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            {"settings": {"review_intervals": [1, "three", 7]}},
            "settings.review_intervals.1: must be a whole number",
        ),
        (
            {"tracks": {"ml_algorithms": {"start_date": "2026-11-22", "acceleration_days": -2}}},
            "tracks.ml_algorithms.acceleration_days: must be greater than or equal to 0",
        ),
        (
            {"tracks": {"coding_patterns": {"start_date": "2026-11-22"}}},
            "tracks.coding_patterns: unknown track",
        ),
        ({"settings": {"scheduler": "sm2"}}, "settings.scheduler"),
    ],
)
def test_invalid_hand_edit_is_refused_naming_file_and_field(
    prepared: Settings, edit: dict, message: str
) -> None:  # type: ignore[type-arg]
    path = settings_store.config_path(prepared.data_dir, "ml_specialist")
    path.write_text(json.dumps(edit))
    with pytest.raises(ConfigFileError) as info:
        prepare(prepared)
    assert str(path) in info.value.message and message in info.value.message
    with session_scope(prepared.db_url) as s:  # nothing stored changed
        assert settings_store.get_config(s, "ml_specialist").settings.review_intervals == [1, 3, 7, 14]


def test_malformed_json_names_the_file(prepared: Settings) -> None:
    path = settings_store.config_path(prepared.data_dir, "swe")
    path.write_text("{ not json")
    with pytest.raises(ConfigFileError, match=r"swe/config.json: not valid JSON"):
        prepare(prepared)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"settings": {"review_intervals": [3, 1]}}, "settings.review_intervals"),
        ({"settings": {"review_intervals": [0, 1]}}, "settings.review_intervals"),
        ({"settings": {"desired_retention": 1.5}}, "settings.desired_retention"),
        ({"tracks": {"ml_algorithms": {"start_date": "tomorrow"}}}, "tracks.ml_algorithms.start_date"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_validate_names_the_field(prepared: Settings, payload: dict, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidInput) as info:
        settings_store.validate_config("ml_specialist", payload)
    assert info.value.errors[0].field == field

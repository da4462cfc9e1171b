"""Every setting is documented in the README, with its environment variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from study_tracker.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_is_documented(name: str) -> None:
    assert f"STUDY_{name.upper()}" in README, f"README lacks STUDY_{name.upper()}"
    assert Settings.model_fields[name].description, f"{name} has no description"


def test_readme_shows_the_two_commands() -> None:
    assert "make run" in README and "make test" in README

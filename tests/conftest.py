"""Shared fixtures: a real SQLite file per test (migrated once, then copied) and a real app."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# FastAPI's TestClient sends ``Host: testserver``; the app answers only to allowed host names.
os.environ.setdefault("STUDY_ALLOWED_HOSTS", "testserver")

from study_tracker.config import Settings  # noqa: E402
from study_tracker.db.engine import get_engine, migrate, session_scope  # noqa: E402

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "study.db"
    url = f"sqlite:///{path}"
    migrate(url)
    get_engine(url).dispose()
    return path


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "today": TODAY,
        "timezone": "UTC",
        "index_on_start": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, migrated_db: Path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(migrated_db, data_dir / "study.db")
    return make_settings(data_dir)


@pytest.fixture
def prepared(settings: Settings) -> Settings:
    from study_tracker.tracker.startup import prepare

    prepare(settings)
    return settings


@pytest.fixture
def session(prepared: Settings) -> Iterator[Session]:
    with session_scope(prepared.db_url) as s:
        yield s


@pytest.fixture
def client(settings: Settings):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from study_tracker.web.app import create_app

    with TestClient(create_app(settings)) as c:
        yield c


# --- PostgreSQL (tests marked ``postgres``): one real server for the run, a fresh database per test ---


@pytest.fixture(scope="session")
def pg_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture
def pg_settings(pg_uri: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    import psycopg

    name = f"t_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_uri, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = pg_uri.replace("postgresql://", "postgresql+psycopg://", 1).replace("/postgres?", f"/{name}?", 1)
    settings = make_settings(tmp_path / "data", database_url=url)
    yield settings
    get_engine(url).dispose()

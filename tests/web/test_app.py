"""The app factory: every router imported for real, the knowledge base on ``app.state``, and an
API documentation that names what each operation returns and the errors it answers."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from study_tracker.config import Settings
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.web import routes
from study_tracker.web.app import create_app
from study_tracker.web.errors import ErrorBody, FieldErrorBody
from study_tracker.web.knowledge import BackgroundPrepare
from tests.knowledge.kb_helpers import WordHashEncoder

REF = "#/components/schemas/"


def _api_operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, ops in schema["paths"].items()
        if path.startswith("/api")
        for method, op in ops.items()
    ]


def test_every_api_operation_names_its_response_and_error_schemas(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    operations = _api_operations(schema)
    assert len(operations) >= 30
    for method, path, op in operations:
        where = f"{method.upper()} {path}"
        success = [code for code in op["responses"] if code.startswith("2")]
        assert len(success) == 1, where
        [code] = success
        content = op["responses"][code].get("content", {})
        if code == "204":
            assert not content, where  # no body to describe
            continue
        assert content, where
        for media_type, body in content.items():
            ref = body["schema"].get("$ref", "")
            assert ref.startswith(REF) and ref.removeprefix(REF) in components, (where, media_type, body)
        for code, response in op["responses"].items():
            if code[0] in "45":  # every declared error answers the one error body
                assert response["content"] == {"application/json": {"schema": {"$ref": REF + "ErrorBody"}}}, (
                    where,
                    code,
                )


def test_the_documented_error_body_is_what_errors_answer(client: TestClient) -> None:
    components = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(components["ErrorBody"]["properties"]) == {"detail", "errors"}
    assert set(components["FieldErrorBody"]["properties"]) == {"field", "message"}
    for response in (
        client.post("/api/completions", json={"track": "ml_algorithms", "difficulty": 9}),  # 422
        client.get("/api/tracks/nope"),  # 404
        client.post("/api/undo", params={"group": "swe"}),  # 409
    ):
        body = response.json()
        assert set(body) == set(ErrorBody.model_fields), body
        assert all(set(e) == set(FieldErrorBody.model_fields) for e in body["errors"]), body
        ErrorBody.model_validate(body)


# (method, path template, request) that end in an error: the status is documented on the operation.
ERRORS: list[tuple[str, str, dict[str, Any]]] = [
    ("get", "/api/today", {"params": {"group": "nope"}}),
    ("post", "/api/completions", {"json": {"track": "nope", "difficulty": 3}}),
    ("post", "/api/completions", {"json": {"track": "ml_algorithms", "difficulty": 0}}),
    ("post", "/api/reviews/{completion_id}", {"json": {"rating": 3}}),
    ("post", "/api/undo", {"params": {"group": "swe"}}),
    ("get", "/api/config/{group}", {}),
    ("put", "/api/config/{group}", {"json": {"settings": {"review_intervals": ["a"]}}}),
    ("post", "/api/import", {"json": {"format": "study-tracker-export"}}),
    ("get", "/api/tracks/{slug}", {}),
    ("get", "/api/tracks/{slug}/days/{day}", {}),
    ("get", "/api/search", {"params": {"q": "anything"}}),
    ("get", "/api/search", {"params": {"q": "x", "mode": "fuzzy"}}),
    ("post", "/api/ask", {"json": {"question": "how do LSM trees write"}}),
    ("post", "/api/ask", {"json": {"question": " "}}),
    ("post", "/api/ask/stream", {"json": {"question": "how do LSM trees write"}}),
    ("get", "/api/ask/stream", {"params": {"question": "x", "history": "not json"}}),
    ("get", "/api/sources/jobs/{job_id}", {}),
    ("post", "/api/sources/upload", {"files": []}),
    ("post", "/api/sources/folder", {"data": {"path": "relative/path"}}),
    ("post", "/api/watch", {"json": {"path": "relative/path"}}),
    ("delete", "/api/watch", {"params": {"path": "/not/watched"}}),
    ("post", "/api/roadmaps", {"files": {"file": ("x.md", b"", "text/markdown")}}),
    ("get", "/api/roadmaps/{slug}", {}),
    ("patch", "/api/roadmaps/{slug}", {"json": {"start_date": "2026-12-07"}}),
    ("delete", "/api/roadmaps/{slug}", {}),
    ("post", "/api/roadmaps/{slug}/items", {"json": {"key": "x", "done": True}}),
    ("put", "/api/goal", {"json": {"path": "nope"}}),
    ("get", "/api/next", {"params": {"group": "nope"}}),
    ("post", "/api/drills", {"json": {"count": 0}}),
    ("get", "/api/drills/{drill_id}", {}),
    ("post", "/api/drills/{drill_id}/answers", {"json": {"position": 0, "grade": 3}}),
    ("get", "/api/reviews/{completion_id}/cards", {}),
    ("post", "/api/reviews/{completion_id}/cards/{position}/grade", {"json": {"answer": "x"}}),
    ("post", "/api/reviews/{completion_id}/cards/{position}/grade", {"json": {"answer": 3}}),
    ("post", "/api/reviews/{completion_id}/outcomes", {"json": {"outcomes": []}}),
    ("post", "/api/drills/{drill_id}/cards/{position}/grade", {"json": {"answer": "x"}}),
]
FILL = {
    "completion_id": "1",
    "group": "nope",
    "slug": "nope",
    "day": "99",
    "job_id": "nope",
    "drill_id": "9",
    "position": "0",
}


def test_errors_the_api_answers_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    undocumented = []
    for method, template, request_args in ERRORS:
        path = template.format(**{k: v for k, v in FILL.items() if "{" + k + "}" in template})
        r = client.request(method.upper(), path, **request_args)
        assert r.status_code >= 400 and r.headers["content-type"].startswith("application/json"), r.text
        if str(r.status_code) not in paths[template][method]["responses"]:
            undocumented.append((method, template, r.status_code, r.json()["detail"]))
    assert undocumented == []


def test_a_route_module_that_fails_to_import_stops_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """No optional routers: an import error in any route module makes importing the app fail."""
    monkeypatch.delitem(sys.modules, "study_tracker.web.app")
    monkeypatch.delattr(routes, "search")
    monkeypatch.setitem(sys.modules, "study_tracker.web.routes.search", None)  # "import fails"
    with pytest.raises(ImportError, match=r"study_tracker\.web\.routes\.search"):
        importlib.import_module("study_tracker.web.app")


def test_every_route_module_is_served(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    served = {(path, method.upper()) for path, ops in paths.items() for method in ops}
    with_routers = 0
    for info in pkgutil.iter_modules(routes.__path__):
        router = getattr(importlib.import_module(f"study_tracker.web.routes.{info.name}"), "router", None)
        if router is None:
            continue  # a schema module
        with_routers += 1
        for route in router.routes:
            assert isinstance(route, APIRoute)
            assert {(route.path, m) for m in route.methods} <= served, (info.name, route.path)
    assert with_routers >= 15


def _counting_opens(monkeypatch: pytest.MonkeyPatch) -> list[KnowledgeBase]:
    opened: list[KnowledgeBase] = []
    init = KnowledgeBase.__init__

    def counted(self: KnowledgeBase, *args: Any, **kwargs: Any) -> None:
        opened.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(KnowledgeBase, "__init__", counted)
    return opened


def test_the_knowledge_base_is_opened_once_per_app_on_its_state(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = _counting_opens(monkeypatch)
    app = create_app(settings)
    assert getattr(app.state, "knowledge_base", None) is None and opened == []  # the lifespan opens it
    with TestClient(app) as client:
        kb = app.state.knowledge_base
        assert isinstance(kb, KnowledgeBase) and opened == [kb]
        assert kb.export is False  # the server never exports the encoder (that would load torch)
        assert client.get("/api/search", params={"q": "anything"}).status_code == 503  # nothing indexed
        assert client.get("/search", params={"q": "anything"}).status_code == 200
        assert client.get("/ask", params={"q": "anything at all"}).status_code == 503
        assert client.get("/tracks/system_design/days/1").status_code == 200
        assert client.post("/api/ask", json={"question": "anything at all"}).status_code == 503
        assert app.state.knowledge_base is kb and opened == [kb]  # every request used the same one
        with TestClient(create_app(settings)) as other:
            assert other.app.state.knowledge_base is not kb and len(opened) == 2  # type: ignore[attr-defined]
    assert app.state.knowledge_base is None  # dropped at shutdown


def test_requests_use_the_knowledge_base_on_the_app_state(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# Caching\n\nA write-through cache updates the store on every write.\n")
    ingest_paths([notes], settings=settings, encoder=WordHashEncoder())
    started: list[BackgroundPrepare] = []
    monkeypatch.setattr(BackgroundPrepare, "start", lambda self: started.append(self))
    query = {"q": "write-through cache", "mode": "dense"}
    with TestClient(create_app(settings)) as client:
        # The app's own knowledge base has no query encoder yet (the server never exports it):
        # dense search says so and the background prepare is started to export it.
        r = client.get("/api/search", params=query)
        assert r.status_code == 503 and "still being prepared" in r.json()["detail"]
        assert started == [client.app.state.knowledge_prepare]  # type: ignore[attr-defined]
        # One put on the state (with the encoder the index was built with) answers from then on.
        client.app.state.knowledge_base = KnowledgeBase.open(settings, encoder=WordHashEncoder())  # type: ignore[attr-defined]
        r = client.get("/api/search", params=query)
        assert r.status_code == 200 and r.json()["results"][0]["source"] == str(notes / "a.md")


@pytest.mark.parametrize("index_on_start", [True, False])
def test_the_lifespan_starts_the_background_prepare_when_asked(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, index_on_start: bool
) -> None:
    started: list[BackgroundPrepare] = []
    monkeypatch.setattr(BackgroundPrepare, "start", lambda self: started.append(self))
    app = create_app(settings.model_copy(update={"index_on_start": index_on_start}))
    assert started == []
    with TestClient(app):
        assert started == ([app.state.knowledge_prepare] if index_on_start else [])

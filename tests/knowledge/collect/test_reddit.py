"""``study collect reddit`` against a local HTTP server that speaks Reddit's OAuth API.

The server replays Reddit-format responses: the application-only token, subreddit listings
paged with ``after``, comment trees with a "load more comments" stub and ``/api/morechildren``.
Tests can script faults (429, 503, 404) and rate-limit headers per route; every request is
logged with its arrival time, so waits are measured on the server side.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

import study_tracker.cli.collect  # noqa: F401  (registers `study collect`)
from study_tracker.cli.app import app
from study_tracker.config import get_settings

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
TOKEN = "replay-token-1"
PAGE_SIZE = 2  # Reddit pages at 100; small here so five posts need three pages
SUB = "learnpython"


def _post(n: int, title: str, selftext: str) -> dict[str, Any]:
    pid = f"p{n}"
    return {
        "kind": "t3",
        "data": {
            "approved_at_utc": None,
            "subreddit": SUB,
            "selftext": selftext,
            "author_fullname": f"t2_u{n}",
            "title": title,
            "subreddit_name_prefixed": f"r/{SUB}",
            "name": f"t3_{pid}",
            "score": 10 + n,
            "ups": 10 + n,
            "upvote_ratio": 0.93,
            "is_self": True,
            "created": 1767225600.0 + n * 60,
            "created_utc": 1767225600.0 + n * 60,
            "num_comments": 4 if n == 1 else 1,
            "id": pid,
            "author": f"user{n}",
            "subreddit_id": "t5_2r8ot",
            "permalink": f"/r/{SUB}/comments/{pid}/post_{n}/",
            "url": f"https://www.reddit.com/r/{SUB}/comments/{pid}/post_{n}/",
            "over_18": False,
        },
    }


def _comment(
    cid: str, post: str, parent: str, body: str, replies: list[dict] | None = None
) -> dict[str, Any]:
    return {
        "kind": "t1",
        "data": {
            "subreddit_id": "t5_2r8ot",
            "subreddit": SUB,
            "id": cid,
            "name": f"t1_{cid}",
            "author": "[deleted]" if cid == "c3" else f"commenter_{cid}",  # c3: a deleted account
            "body": body,
            "link_id": f"t3_{post}",
            "parent_id": parent,
            "score": 3,
            "created_utc": 1767229200.0,
            "permalink": f"/r/{SUB}/comments/{post}/x/{cid}/",
            "depth": 0 if parent.startswith("t3_") else 1,
            "replies": {"kind": "Listing", "data": {"after": None, "before": None, "children": replies}}
            if replies
            else "",
        },
    }


POSTS = [
    _post(1, "My knees hurt every time I squat", "What am I doing wrong? I've tried everything."),
    _post(2, "Best Python book?", "Looking for recommendations."),
    _post(3, "pip keeps breaking my venv", "Every install fails with a resolver error."),
    _post(4, "Finished my first project", "Thanks all, it works!"),
    _post(5, "Asyncio confusion", "I can't figure out gather vs create_task."),
]
COMMENTS: dict[str, list[dict[str, Any]]] = {
    "p1": [
        _comment(
            "c1",
            "p1",
            "t3_p1",
            "Try widening your stance.",
            [_comment("c2", "p1", "t1_c1", "Tried it, still hurts.")],
        ),
        _comment("c3", "p1", "t3_p1", "[removed]"),
        {
            "kind": "more",
            "data": {
                "count": 1,
                "name": "t1_c4",
                "id": "c4",
                "parent_id": "t3_p1",
                "depth": 0,
                "children": ["c4"],
            },
        },
    ],
}
MORE_CHILDREN = {"c4": _comment("c4", "p1", "t3_p1", "Film your squat from the side.")}
for n in (2, 3, 4, 5):
    COMMENTS[f"p{n}"] = [_comment(f"c{n}0", f"p{n}", f"t3_p{n}", f"Reply to post {n}.")]


@dataclass
class Hit:
    at: float
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, list[str]]
    status: int = 200


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


class ReplayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: list[Hit] = []
        # route ("token", "listing", "comments", "morechildren") -> replies served before the normal one
        self.faults: dict[str, list[Reply]] = {}
        # route -> extra headers for the next normal replies, in order
        self.extra_headers: dict[str, list[dict[str, str]]] = {}
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def routed(self, route: str) -> list[Hit]:
        return [h for h in self.hits if _route(h.path) == route]


def _route(path: str) -> str:
    if path == "/api/v1/access_token":
        return "token"
    if path == "/api/morechildren/":
        return "morechildren"
    if path.startswith("/comments/"):
        return "comments"
    if path.startswith("/r/"):
        return "listing"
    return "other"


def _listing(children: list[dict], after: str | None) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {
            "after": after,
            "dist": len(children),
            "modhash": None,
            "before": None,
            "children": children,
        },
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ReplayServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        pass

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        hit = Hit(
            time.monotonic(), method, parts.path, parse_qs(parts.query), dict(self.headers), parse_qs(raw)
        )
        route = _route(parts.path)
        with self.server.lock:
            self.server.hits.append(hit)
            faults = self.server.faults.get(route)
            fault = faults.pop(0) if faults else None
            extra = self.server.extra_headers.get(route)
            extra_headers = extra.pop(0) if extra and fault is None else {}
        if fault is not None:
            hit.status = fault.status
            return self._send(
                fault.status, fault.body or {"message": "scripted", "error": fault.status}, fault.headers
            )
        status, body = self._answer(method, route, parts.path, hit)
        hit.status = status
        self._send(status, body, extra_headers)

    def _answer(self, method: str, route: str, path: str, hit: Hit) -> tuple[int, Any]:
        if route == "token":
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if method != "POST" or hit.headers.get("Authorization") != expected:
                return 401, {"message": "Unauthorized", "error": 401}
            if hit.body.get("grant_type") != ["client_credentials"]:
                return 400, {"error": "unsupported_grant_type"}
            return 200, {"access_token": TOKEN, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        if hit.headers.get("Authorization") != f"bearer {TOKEN}":
            return 401, {"message": "Unauthorized", "error": 401}
        if route == "listing":
            sub = path.split("/")[2]
            if sub.lower() != SUB:
                return 404, {"reason": "banned", "message": "Not Found", "error": 404}
            limit = min(int(hit.query.get("limit", ["25"])[0]), PAGE_SIZE)
            after = hit.query.get("after", [None])[0]
            names = [p["data"]["name"] for p in POSTS]
            start = names.index(after) + 1 if after else 0
            page = POSTS[start : start + limit]
            more = start + limit < len(POSTS)
            return 200, _listing(page, page[-1]["data"]["name"] if page and more else None)
        if route == "comments":
            pid = path.split("/")[2]
            post = next(p for p in POSTS if p["data"]["id"] == pid)
            return 200, [_listing([post], None), _listing(COMMENTS[pid], None)]
        if route == "morechildren":
            things = [MORE_CHILDREN[c] for c in hit.body["children"][0].split(",")]
            return 200, {"json": {"errors": [], "data": {"things": things}}}
        return 404, {"message": "Not Found", "error": 404}

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def reddit_server() -> Iterator[ReplayServer]:
    server = ReplayServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def env(tmp_path: Path, reddit_server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings pointing at the replay server and a fresh data folder; returns the data folder."""
    data_dir = tmp_path / "data"
    values = {
        "STUDY_DATA_DIR": str(data_dir),
        "STUDY_REDDIT_CLIENT_ID": CLIENT_ID,
        "STUDY_REDDIT_CLIENT_SECRET": CLIENT_SECRET,
        "STUDY_REDDIT_USER_AGENT": "python:study-tracker-tests:0.1 (by /u/nobody)",
        "STUDY_REDDIT_OAUTH_URL": reddit_server.url,
        "STUDY_REDDIT_URL": reddit_server.url,
        "STUDY_REDDIT_BACKOFF_SECONDS": "0.2",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("STUDY_KNOWLEDGE_DIR", raising=False)
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["collect", "reddit", *args])


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def only_output(data_dir: Path) -> Path:
    files = sorted((data_dir / "knowledge" / "collected" / "reddit").iterdir())
    assert len(files) == 1, files
    return files[0]


def test_collects_posts_and_comment_trees_across_pages(env: Path, reddit_server: ReplayServer) -> None:
    result = run("--subreddit", SUB, "--limit", "5")

    assert result.exit_code == 0, result.output
    path = only_output(env)
    assert path.name.startswith(f"{SUB}-") and path.suffix == ".ndjson"
    assert "Wrote 5 posts and 8 comments" in result.output
    records = read_ndjson(path)
    posts = [r for r in records if "title" in r]
    comments = [r for r in records if "body" in r]
    assert [p["id"] for p in posts] == ["p1", "p2", "p3", "p4", "p5"]
    assert posts[0] == {
        "id": "p1",
        "name": "t3_p1",
        "subreddit": SUB,
        "title": "My knees hurt every time I squat",
        "selftext": "What am I doing wrong? I've tried everything.",
        "author": "user1",
        "created_utc": 1767225660,
        "score": 11,
        "num_comments": 4,
        "permalink": "/r/learnpython/comments/p1/post_1/",
        "url": "https://www.reddit.com/r/learnpython/comments/p1/post_1/",
    }
    # Post 1's comments follow it: top level, the nested reply, and the one behind "load more".
    p1_comments = records[1:5]
    assert {c["id"] for c in p1_comments} == {"c1", "c2", "c3", "c4"}
    by_id = {c["id"]: c for c in comments}
    assert by_id["c2"]["parent_id"] == "t1_c1" and by_id["c2"]["link_id"] == "t3_p1"
    assert by_id["c2"]["body"] == "Tried it, still hurts."
    assert by_id["c3"]["author"] == "[deleted]"
    assert by_id["c4"]["body"] == "Film your squat from the side."
    assert [c["id"] for c in p1_comments].index("c1") < [c["id"] for c in p1_comments].index("c2")
    comment_fields = [
        "id",
        "name",
        "subreddit",
        "body",
        "author",
        "created_utc",
        "score",
        "permalink",
        "link_id",
        "parent_id",
    ]
    assert set(comments[0]) == set(comment_fields)

    # The wire: one client-credentials token, then bearer requests paging with `after`.
    token = reddit_server.routed("token")
    assert len(token) == 1 and token[0].body["grant_type"] == ["client_credentials"]
    listing = reddit_server.routed("listing")
    assert [h.query.get("after", [None])[0] for h in listing] == [None, "t3_p2", "t3_p4"]
    assert all(h.path == f"/r/{SUB}/new" for h in listing)
    assert all(
        h.headers["User-Agent"].startswith("python:study-tracker-tests:0.1") for h in reddit_server.hits
    )
    assert len(reddit_server.routed("comments")) == 5
    more = reddit_server.routed("morechildren")
    assert len(more) == 1 and more[0].body["children"] == ["c4"] and more[0].body["link_id"] == ["t3_p1"]
    assert not list(path.parent.glob("*.part"))


def test_limit_stops_paging_and_out_sets_the_file(
    env: Path, reddit_server: ReplayServer, tmp_path: Path
) -> None:
    out = tmp_path / "elsewhere" / "few.ndjson"

    result = run("--subreddit", f"r/{SUB}", "--limit", "3", "--out", str(out), "--more-comments", "0")

    assert result.exit_code == 0, result.output
    posts = [r for r in read_ndjson(out) if "title" in r]
    assert [p["id"] for p in posts] == ["p1", "p2", "p3"]
    assert len(reddit_server.routed("listing")) == 2
    assert reddit_server.routed("morechildren") == []  # --more-comments 0: no expansion requests
    assert "c4" not in {r["id"] for r in read_ndjson(out)}


def test_missing_credentials_name_the_settings(
    env: Path, reddit_server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUDY_REDDIT_CLIENT_ID", "")
    monkeypatch.delenv("STUDY_REDDIT_CLIENT_SECRET")
    get_settings.cache_clear()

    result = run("--subreddit", SUB, "--limit", "2")

    assert result.exit_code == 1
    assert "STUDY_REDDIT_CLIENT_ID" in result.output and "STUDY_REDDIT_CLIENT_SECRET" in result.output
    assert reddit_server.hits == []


def test_wrong_credentials_get_a_clear_message(
    env: Path, reddit_server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUDY_REDDIT_CLIENT_SECRET", "not-the-secret")
    get_settings.cache_clear()

    result = run("--subreddit", SUB, "--limit", "2")

    assert result.exit_code == 1
    assert "refused the app credentials (401)" in result.output
    assert "STUDY_REDDIT_CLIENT_SECRET" in result.output
    assert not (env / "knowledge" / "collected" / "reddit").exists() or not any(
        (env / "knowledge" / "collected" / "reddit").iterdir()
    )


def test_unknown_subreddit(env: Path, reddit_server: ReplayServer) -> None:
    result = run("--subreddit", "nosuchsub", "--limit", "2")

    assert result.exit_code == 1
    assert "r/nosuchsub was not found" in result.output


def test_bad_subreddit_name_is_refused_before_any_request(env: Path, reddit_server: ReplayServer) -> None:
    result = run("--subreddit", "no spaces/allowed", "--limit", "2")

    assert result.exit_code == 1
    assert "--subreddit must be a subreddit name" in result.output
    assert reddit_server.hits == []


def test_rate_limit_headers_make_the_client_wait(env: Path, reddit_server: ReplayServer) -> None:
    # The first page says the budget is spent and resets in 1 s: prawcore must sleep before the next call.
    reddit_server.extra_headers["listing"] = [
        {"x-ratelimit-remaining": "0", "x-ratelimit-used": "600", "x-ratelimit-reset": "1"}
    ]

    result = run("--subreddit", SUB, "--limit", "2", "--more-comments", "0")

    assert result.exit_code == 0, result.output
    listing = reddit_server.routed("listing")[0]
    after = [h for h in reddit_server.hits if h.at > listing.at]
    assert after, "no request after the listing"
    assert after[0].at - listing.at >= 0.95
    # Without the headers the same run does not wait: the delay came from them.
    gaps = [b.at - a.at for a, b in zip(after, after[1:], strict=False)]
    assert max(gaps) < 0.5


def test_429_is_retried_after_retry_after(env: Path, reddit_server: ReplayServer) -> None:
    reddit_server.faults["listing"] = [
        Reply(429, {"Retry-After": "1"}, {"message": "Too Many Requests", "error": 429})
    ]

    result = run("--subreddit", SUB, "--limit", "2", "--more-comments", "0")

    assert result.exit_code == 0, result.output
    listing = reddit_server.routed("listing")
    assert [h.status for h in listing] == [429, 200]
    assert listing[0].query == listing[1].query  # the same page asked again
    assert listing[1].at - listing[0].at >= 0.95
    assert "1 retried after 429/5xx" in result.output
    assert len([r for r in read_ndjson(only_output(env)) if "title" in r]) == 2


def test_429_without_retry_after_backs_off_exponentially_on_every_route(
    env: Path, reddit_server: ReplayServer
) -> None:
    # STUDY_REDDIT_BACKOFF_SECONDS=0.2: waits of 0.2 s then 0.4 s.
    reddit_server.faults["listing"] = [Reply(429), Reply(429)]
    reddit_server.faults["comments"] = [Reply(429)]
    reddit_server.faults["morechildren"] = [Reply(429)]

    result = run("--subreddit", SUB, "--limit", "1")

    assert result.exit_code == 0, result.output
    listing = reddit_server.routed("listing")
    assert [h.status for h in listing] == [429, 429, 200]
    assert listing[1].at - listing[0].at >= 0.19
    assert listing[2].at - listing[1].at >= 0.39
    assert [h.status for h in reddit_server.routed("comments")] == [429, 200]
    assert [h.status for h in reddit_server.routed("morechildren")] == [429, 200]
    assert "4 retried" in result.output
    assert {r["id"] for r in read_ndjson(only_output(env))} == {"p1", "c1", "c2", "c3", "c4"}


def test_server_error_is_retried(env: Path, reddit_server: ReplayServer) -> None:
    reddit_server.faults["comments"] = [Reply(503)]

    result = run("--subreddit", SUB, "--limit", "1", "--more-comments", "0")

    assert result.exit_code == 0, result.output
    assert [h.status for h in reddit_server.routed("comments")] == [503, 200]
    records = read_ndjson(only_output(env))
    assert [r["id"] for r in records] == ["p1", "c1", "c3", "c2"]


def test_persistent_429_gives_up_with_a_message(
    env: Path, reddit_server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUDY_REDDIT_MAX_RETRIES", "2")
    get_settings.cache_clear()
    reddit_server.faults["listing"] = [Reply(429, {"Retry-After": "0"}) for _ in range(3)]

    result = run("--subreddit", SUB, "--limit", "2")

    assert result.exit_code == 1
    assert "429 Too Many Requests after 2 retries" in result.output
    assert len(reddit_server.routed("listing")) == 3
    out_dir = env / "knowledge" / "collected" / "reddit"
    assert not out_dir.exists() or list(out_dir.iterdir()) == []  # nothing fetched: no file, no .part


def test_failure_part_way_keeps_what_was_fetched(
    env: Path, reddit_server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUDY_REDDIT_MAX_RETRIES", "0")
    get_settings.cache_clear()
    # The second page fails for good (404 after the first page succeeded).
    reddit_server.faults["listing"] = []
    original = _Handler._answer

    def second_page_missing(self: _Handler, method: str, route: str, path: str, hit: Hit) -> tuple[int, Any]:
        if route == "listing" and hit.query.get("after"):
            return 404, {"message": "Not Found", "error": 404}
        return original(self, method, route, path, hit)

    monkeypatch.setattr(_Handler, "_answer", second_page_missing)

    result = run("--subreddit", SUB, "--limit", "5", "--more-comments", "0")

    assert result.exit_code == 1
    assert "stopped early" in result.output
    posts = [r for r in read_ndjson(only_output(env)) if "title" in r]
    assert [p["id"] for p in posts] == ["p1", "p2"]


def test_help_lists_the_options() -> None:
    result = CliRunner().invoke(app, ["collect", "reddit", "--help"])

    assert result.exit_code == 0
    for option in ("--subreddit", "--limit", "--out", "--ingest", "--sort", "--more-comments"):
        assert option in result.output


@pytest.mark.model
def test_ingest_flag_makes_the_posts_searchable_with_the_pain_point_filter(
    env: Path, reddit_server: ReplayServer
) -> None:
    from study_tracker.knowledge.search import knowledge_base as search

    result = run("--subreddit", SUB, "--limit", "5", "--ingest")

    assert result.exit_code == 0, result.output
    assert "Ingested" in result.output
    kb = search.KnowledgeBase.open(get_settings())
    pains = kb.search("squat knee pain", mode="bm25", k=20, filters={"pain_point": True})
    assert pains and all(hit.pain_point for hit in pains)
    assert "t3_p1" in {hit.doc_id for hit in pains}
    calm = kb.search("Python book recommendations", mode="bm25", k=20, filters={"pain_point": False})
    assert "t3_p2" in {hit.doc_id for hit in calm}

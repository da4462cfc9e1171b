"""Reddit collection: fetch a subreddit's posts and comment trees into an NDJSON dump.

The client is PRAW (with prawcore underneath), pointed at ``settings.reddit_oauth_url`` and
``settings.reddit_url``; tests point both at a local HTTP server.  prawcore obtains the
application-only OAuth token, follows the ``X-Ratelimit-Remaining/Used/Reset`` headers (it sleeps
before a request when the budget is spent) and retries 5xx answers twice.  It raises on 429 and
on 5xx that outlast its retries; ``_with_backoff`` adds the retry with a wait for those
(``Retry-After`` when the server sends it, else exponential backoff).

The output is one JSON object per line with Pushshift dump field names: each submission
(``title``, ``selftext``) followed by its comments (``body``, ``link_id``, ``parent_id``), parents
before children; ``study_tracker.knowledge.ingest.pipeline`` reads it as a Reddit source.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from study_tracker.config import Settings
from study_tracker.errors import RedditCollectError

if TYPE_CHECKING:
    import praw
    import requests


log = logging.getLogger(__name__)

Sort = Literal["new", "hot", "top", "rising", "controversial"]
SORTS: tuple[str, ...] = ("new", "hot", "top", "rising", "controversial")
TIME_FILTERS: tuple[str, ...] = ("all", "day", "hour", "month", "week", "year")

# Never sleep longer than Reddit's rate-limit window in one go, whatever a header says.
_MAX_WAIT_SECONDS = 600.0

T = TypeVar("T")


class MissingRedditCredentials(RedditCollectError):
    """The Reddit app credentials are not configured."""


@dataclass
class CollectResult:
    """What ``collect_subreddit`` wrote."""

    path: Path
    submissions: int
    comments: int
    requests_retried: int
    error: str | None = None  # set when collection stopped early; ``path`` holds what was fetched


def check_credentials(settings: Settings) -> None:
    """Raise ``MissingRedditCredentials`` naming the settings to set when any is empty."""
    missing = [
        env
        for env, value in (
            ("STUDY_REDDIT_CLIENT_ID", settings.reddit_client_id),
            ("STUDY_REDDIT_CLIENT_SECRET", settings.reddit_client_secret),
            ("STUDY_REDDIT_USER_AGENT", settings.reddit_user_agent),
        )
        if not value.strip()
    ]
    if missing:
        raise MissingRedditCredentials(
            f"Reddit credentials are not set: {', '.join(missing)}. Create a 'script' app at "
            "https://www.reddit.com/prefs/apps and set these environment variables (or put them in .env)."
        )


def make_client(settings: Settings, session: requests.Session | None = None) -> praw.Reddit:
    """A read-only PRAW client for the configured app and base URLs (no network call yet).

    ``session`` is the requests session PRAW sends through; pass one to close it afterwards.
    """
    import praw

    check_credentials(settings)
    return praw.Reddit(
        requestor_kwargs={"session": session} if session is not None else None,
        client_id=settings.reddit_client_id,
        client_secret=settings.reddit_client_secret,
        user_agent=settings.reddit_user_agent,
        oauth_url=settings.reddit_oauth_url.rstrip("/"),
        reddit_url=settings.reddit_url.rstrip("/"),
        timeout=max(1, round(settings.reddit_timeout)),  # PRAW wants whole seconds
        # No PyPI version check and no asyncio probe: this runs offline and from Typer.
        check_for_updates=False,
        check_for_async=False,
    )


def default_output_path(settings: Settings, subreddit: str, now: datetime | None = None) -> Path:
    """``<knowledge dir>/collected/reddit/<subreddit>-<UTC timestamp>.ndjson``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return settings.knowledge_path / "collected" / "reddit" / f"{subreddit}-{stamp}.ndjson"


class _Backoff:
    """Retries a Reddit call refused with 429 or a lasting server error, waiting between tries."""

    def __init__(self, *, max_retries: int, base_seconds: float, sleep: Callable[[float], None] = time.sleep):
        self.max_retries = max_retries
        self.base_seconds = base_seconds
        self.sleep = sleep
        self.retried = 0

    def __call__(self, what: str, call: Callable[[], T]) -> T:
        from prawcore.exceptions import RequestException, ServerError, TooManyRequests

        attempt = 0
        while True:
            try:
                return call()
            except (TooManyRequests, ServerError, RequestException) as exc:
                if attempt >= self.max_retries:
                    raise
                wait = self._wait_seconds(exc, attempt)
                attempt += 1
                self.retried += 1
                log.warning("Reddit %s: %s; retry %d/%d in %.1fs", what, exc, attempt, self.max_retries, wait)
                self.sleep(wait)

    def _wait_seconds(self, exc: Exception, attempt: int) -> float:
        response = getattr(exc, "response", None)
        headers = response.headers if response is not None else {}
        for header in ("retry-after", "x-ratelimit-reset"):
            value = headers.get(header)
            if value:
                try:
                    return min(_MAX_WAIT_SECONDS, max(0.0, float(value)))
                except ValueError:
                    pass  # an HTTP-date Retry-After: fall back to exponential backoff
        return min(_MAX_WAIT_SECONDS, self.base_seconds * 2**attempt)


def _author(thing: Any) -> str:
    author = vars(thing).get("author")
    return "[deleted]" if author is None else str(author)


def _subreddit(thing: Any) -> str:
    sub = vars(thing).get("subreddit")
    return str(getattr(sub, "display_name", sub) or "")


def submission_record(submission: Any) -> dict[str, Any]:
    """A Pushshift-style record of a PRAW submission (reads only fetched fields: no extra request)."""
    data = vars(submission)
    return {
        "id": data["id"],
        "name": data.get("name") or f"t3_{data['id']}",
        "subreddit": _subreddit(submission),
        "title": data.get("title", ""),
        "selftext": data.get("selftext", ""),
        "author": _author(submission),
        "created_utc": int(data.get("created_utc") or 0),
        "score": data.get("score", 0),
        "num_comments": data.get("num_comments", 0),
        "permalink": data.get("permalink", ""),
        "url": data.get("url", ""),
    }


def comment_record(comment: Any) -> dict[str, Any]:
    """A Pushshift-style record of a PRAW comment."""
    data = vars(comment)
    return {
        "id": data["id"],
        "name": data.get("name") or f"t1_{data['id']}",
        "subreddit": _subreddit(comment),
        "body": data.get("body", ""),
        "author": _author(comment),
        "created_utc": int(data.get("created_utc") or 0),
        "score": data.get("score", 0),
        "permalink": data.get("permalink", ""),
        "link_id": data.get("link_id", ""),
        "parent_id": data.get("parent_id", ""),
    }


def iter_subreddit(
    reddit: praw.Reddit,
    subreddit: str,
    *,
    limit: int,
    sort: str = "new",
    time_filter: str = "all",
    more_comments: int = 8,
    backoff: _Backoff,
) -> Iterator[dict[str, Any]]:
    """Yield each submission's record, then its comments' records (parents before children).

    PRAW's listing generator follows ``after`` from page to page; a failed page fetch leaves its
    position unchanged, so retrying ``next()`` asks for the same page again.
    """
    from praw.models import MoreComments

    sub = reddit.subreddit(subreddit)
    listing_method = getattr(sub, sort)
    listing = (
        listing_method(limit=limit, time_filter=time_filter)
        if sort in ("top", "controversial")
        else (listing_method(limit=limit))
    )
    expand = None if more_comments < 0 else more_comments
    while True:
        submission = backoff(f"listing r/{subreddit}/{sort}", lambda: next(listing, None))
        if submission is None:
            return
        yield submission_record(submission)
        forest = backoff(f"comments of {submission.id}", functools.partial(getattr, submission, "comments"))
        backoff(f"more comments of {submission.id}", functools.partial(forest.replace_more, limit=expand))
        for comment in forest.list():
            if not isinstance(comment, MoreComments):
                yield comment_record(comment)


def _describe(exc: Exception, subreddit: str, settings: Settings) -> str:
    from prawcore import exceptions as pe

    response = getattr(exc, "response", None)
    token_failed = response is not None and response.url.split("?")[0].endswith("/api/v1/access_token")
    if isinstance(exc, pe.OAuthException) or (
        response is not None and token_failed and response.status_code in (400, 401, 403)
    ):
        status = f" ({response.status_code})" if response is not None else ""
        return (
            f"Reddit refused the app credentials{status}; check STUDY_REDDIT_CLIENT_ID and "
            "STUDY_REDDIT_CLIENT_SECRET."
        )
    if response is not None and token_failed:
        return f"Reddit's token endpoint {response.url} answered {response.status_code}; try again later."
    if isinstance(exc, pe.NotFound | pe.Redirect):
        return f"Subreddit r/{subreddit} was not found."
    if isinstance(exc, pe.Forbidden):
        return f"Subreddit r/{subreddit} is private, quarantined or banned (403)."
    if isinstance(exc, pe.TooManyRequests):
        return f"Reddit kept answering 429 Too Many Requests after {settings.reddit_max_retries} retries."
    if isinstance(exc, pe.ServerError):
        return f"Reddit kept failing with a server error ({exc}) after {settings.reddit_max_retries} retries."
    if isinstance(exc, pe.RequestException):
        return f"Could not reach Reddit at {settings.reddit_oauth_url}: {exc.original_exception}"
    return f"Reddit request failed: {exc}"


def collect_subreddit(
    *,
    settings: Settings,
    subreddit: str,
    limit: int,
    out: Path | None = None,
    sort: str = "new",
    time_filter: str = "all",
    more_comments: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CollectResult:
    """Fetch up to ``limit`` posts of r/``subreddit`` with their comments into an NDJSON file.

    Args:
        settings: Reddit credentials, base URLs and retry knobs; default output under its knowledge dir.
        subreddit: the subreddit name, with or without a leading ``r/``.
        limit: how many submissions to fetch (Reddit listings stop near 1000).
        out: the output file; default ``default_output_path``.
        sort: new, hot, top, rising or controversial.
        time_filter: for top and controversial: all, day, hour, month, week or year.
        more_comments: "load more comments" expansions per post; default ``settings.reddit_more_comments``.
        sleep: the waiting function for backoff (tests may record waits).

    Returns:
        A ``CollectResult``. If Reddit fails part way, what was fetched is kept in ``path`` and
        ``error`` says why.

    Raises:
        MissingRedditCredentials: the app credentials are not configured.
        RedditCollectError: bad arguments, or nothing could be fetched.
    """
    from praw.exceptions import PRAWException
    from prawcore.exceptions import PrawcoreException

    name = subreddit.strip().removeprefix("/").removeprefix("r/").strip("/")
    if not name or not all(c.isalnum() or c == "_" for c in name):
        raise RedditCollectError(
            f"--subreddit must be a subreddit name like 'MachineLearning', got {subreddit!r}."
        )
    if limit < 1:
        raise RedditCollectError(f"--limit must be at least 1, got {limit}.")
    if sort not in SORTS:
        raise RedditCollectError(f"--sort must be one of {', '.join(SORTS)}, got {sort!r}.")
    if time_filter not in TIME_FILTERS:
        raise RedditCollectError(
            f"--time-filter must be one of {', '.join(TIME_FILTERS)}, got {time_filter!r}."
        )

    import requests

    http = requests.Session()
    reddit = make_client(settings, http)
    backoff = _Backoff(
        max_retries=settings.reddit_max_retries, base_seconds=settings.reddit_backoff_seconds, sleep=sleep
    )
    path = out or default_output_path(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename at the end, so a half-written file is never taken for a
    # finished one (ingest watches this folder).
    partial = path.with_name(path.name + ".part")
    submissions = comments = 0
    error: str | None = None
    try:
        with partial.open("w", encoding="utf-8") as handle:
            for record in iter_subreddit(
                reddit,
                name,
                limit=limit,
                sort=sort,
                time_filter=time_filter,
                more_comments=settings.reddit_more_comments if more_comments is None else more_comments,
                backoff=backoff,
            ):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                if "title" in record:
                    submissions += 1
                else:
                    comments += 1
    except (PrawcoreException, PRAWException) as exc:
        error = _describe(exc, name, settings)
    finally:
        http.close()
    if error is not None and submissions == 0:
        partial.unlink(missing_ok=True)
        raise RedditCollectError(error)
    os.replace(partial, path)
    return CollectResult(
        path=path, submissions=submissions, comments=comments, requests_retried=backoff.retried, error=error
    )

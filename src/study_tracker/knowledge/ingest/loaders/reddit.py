"""Reddit data: API listing JSON (``t3`` posts, ``t1`` comment trees with nested ``replies``) and
Pushshift-style NDJSON records (one submission or comment per line).

Each post and each comment becomes a document of kind ``reddit`` whose meta carries subreddit,
post id, permalink and score. Deleted or removed bodies and bot footers are dropped here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from study_tracker.knowledge.documents import Document
from study_tracker.knowledge.ingest.clean import reddit_body


def is_reddit_record(rec: dict[str, Any]) -> bool:
    """True for a Pushshift/API submission or comment object."""
    if "subreddit" not in rec:
        return False
    return "selftext" in rec or "body" in rec or ("title" in rec and "permalink" in rec)


def is_listing(obj: Any) -> bool:
    """True for a Reddit API ``Listing`` (or the ``[post listing, comments listing]`` pair of a post page)."""
    if isinstance(obj, list):
        return bool(obj) and all(isinstance(x, dict) and x.get("kind") == "Listing" for x in obj)
    return isinstance(obj, dict) and obj.get("kind") == "Listing"


class RedditReader:
    """Turns Reddit records into documents, remembering post titles so comments can show them."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.titles: dict[str, str] = {}  # post id -> title (for comments seen later)
        self.anonymous = 0  # records without an id get "<file>#<n>"

    def record(self, rec: dict[str, Any]) -> Document | None:
        """The document of one submission or comment record, or None if nothing is left after cleaning."""
        if "title" in rec and "body" not in rec:
            return self._submission(rec)
        if "body" in rec:
            return self._comment(rec)
        return None

    def listing(self, obj: Any) -> Iterator[Document]:
        """Documents of a listing, walking comment trees through ``replies``."""
        if isinstance(obj, list):
            for listing in obj:
                yield from self.listing(listing)
            return
        if not isinstance(obj, dict):
            return
        for child in obj.get("data", {}).get("children", []) or []:
            if not isinstance(child, dict):
                continue
            kind, data = child.get("kind"), child.get("data") or {}
            if kind == "t3":
                doc = self._submission(data)
            elif kind == "t1":
                doc = self._comment(data)
                replies = data.get("replies")
                if is_listing(replies):
                    if doc is not None:
                        yield doc
                    yield from self.listing(replies)
                    continue
            else:  # "more" stubs and anything else carry no text
                continue
            if doc is not None:
                yield doc

    def _anonymous(self) -> str:
        self.anonymous += 1
        return f"{self.source}#{self.anonymous}"

    def _submission(self, rec: dict[str, Any]) -> Document | None:
        post_id = _bare(rec.get("id") or rec.get("name") or "")
        title = (rec.get("title") or "").strip()
        if post_id:
            self.titles[post_id] = title
            if len(self.titles) > 200_000:  # a dump can hold millions of posts; keep memory bounded
                self.titles.pop(next(iter(self.titles)))
        body = reddit_body(rec.get("selftext"))
        text = body or title
        if not text:
            return None
        sub = rec.get("subreddit") or ""
        return Document(
            doc_id=f"t3_{post_id}" if post_id else self._anonymous(),
            text=text,
            kind="reddit",
            source=self.source,
            title=title,
            meta=_meta(rec, sub, post_id, "post"),
        )

    def _comment(self, rec: dict[str, Any]) -> Document | None:
        text = reddit_body(rec.get("body"))
        if not text:
            return None
        cid = _bare(rec.get("id") or rec.get("name") or "")
        post_id = _bare(rec.get("link_id") or "")
        sub = rec.get("subreddit") or ""
        title = self.titles.get(post_id, "") or (rec.get("link_title") or "")
        meta = _meta(rec, sub, post_id, "comment")
        if not meta["permalink"] and sub and post_id and cid:
            meta["permalink"] = f"https://www.reddit.com/r/{sub}/comments/{post_id}/_/{cid}/"
        return Document(
            doc_id=f"t1_{cid}" if cid else self._anonymous(),
            text=text,
            kind="reddit",
            source=self.source,
            title=title or (f"r/{sub} comment" if sub else "comment"),
            meta=meta,
        )


def _bare(name: str) -> str:
    """``t3_abc`` -> ``abc``."""
    return name.split("_", 1)[1] if name[:3] in ("t1_", "t3_") else name


def _meta(rec: dict[str, Any], sub: str, post_id: str, kind: str) -> dict[str, Any]:
    permalink = rec.get("permalink") or ""
    if permalink.startswith("/"):
        permalink = "https://www.reddit.com" + permalink
    score = rec.get("score")
    return {
        "subreddit": sub,
        "post_id": post_id,
        "permalink": permalink,
        "score": int(score) if isinstance(score, int | float) else None,
        "reddit_type": kind,
        "author": rec.get("author") or "",
        "created_utc": rec.get("created_utc"),
    }

from __future__ import annotations

import json
from pathlib import Path

import pytest
import zstandard

from study_tracker.knowledge.ingest.loaders import load_file
from study_tracker.knowledge.ingest.loaders.base import LoaderOptions, Skip, file_format
from tests.knowledge.kb_helpers import make_pdf

OPTS = LoaderOptions()


def load(path: Path, options: LoaderOptions = OPTS) -> tuple[list, list[str]]:
    warnings: list[str] = []
    docs = list(load_file(path, options, warnings.append))
    return docs, warnings


def test_file_format_by_name() -> None:
    assert file_format(Path("a.md")) == ("markdown", False)
    assert file_format(Path("RS_2023-01.zst")) == ("jsonl", True)
    assert file_format(Path("x.ndjson.zst")) == ("jsonl", True)
    assert file_format(Path("x.json.zst")) == ("json", True)
    assert file_format(Path("x.png")) == (None, False)


def test_markdown_blocks_follow_structure(tmp_path: Path) -> None:
    text = (
        "---\ntitle: Notes on Queues\n---\n\n# Queues\n\nIntro.\n\n## Kafka\n\n- one\n- two\n  more\n\n"
        "```bash\n# a comment, not a heading\nkafka-topics --list\n```\n"
    )
    p = tmp_path / "q.md"
    p.write_text(text)
    (doc,), warnings = load(p)
    assert warnings == []
    assert doc.kind == "markdown" and doc.title == "Notes on Queues"
    kinds = [(b.kind, b.level, b.title) for b in doc.blocks]
    assert kinds == [
        ("heading", 1, "Queues"),
        ("paragraph", 0, ""),
        ("heading", 2, "Kafka"),
        ("list", 0, ""),
        ("code", 0, ""),
    ]
    code = doc.blocks[-1]
    assert text[code.start : code.end].startswith("```bash\n# a comment")
    lst = doc.blocks[3]
    assert [text[s:e] for s, e in lst.parts] == ["- one", "- two\n  more"]


def test_html_text_and_blocks(tmp_path: Path) -> None:
    html = """<html><head><title>Caching</title><style>p{}</style></head><body>
    <nav>Home | About</nav>
    <main><h1>Caching</h1><p>Write-through <b>vs</b> write-back.</p>
    <ul><li>LRU</li><li>LFU<ul><li>with aging</li></ul></li></ul>
    <pre># not a heading
x = 1</pre>
    <table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table></main>
    <script>var x = 1;</script></body></html>"""
    p = tmp_path / "c.html"
    p.write_text(html)
    (doc,), _ = load(p)
    assert doc.kind == "html" and doc.title == "Caching"
    assert "Home" not in doc.text and "var x" not in doc.text
    kinds = [b.kind for b in doc.blocks]
    assert kinds == ["heading", "paragraph", "list", "code", "table"]
    lst = doc.blocks[2]
    assert doc.text[lst.start : lst.end] == "- LRU\n- LFU\n  - with aging"
    code = doc.blocks[3]
    assert doc.text[code.start : code.end] == "# not a heading\nx = 1"
    assert doc.text[doc.blocks[1].start : doc.blocks[1].end] == "Write-through vs write-back."


def test_pdf_pages(tmp_path: Path) -> None:
    p = tmp_path / "paper.pdf"
    p.write_bytes(make_pdf(["Attention is all you need.", "Transformers use self-attention."]))
    (doc,), _ = load(p)
    assert doc.kind == "pdf"
    assert "Attention is all you need." in doc.text and "self-attention" in doc.text
    pages = [b.title for b in doc.blocks if b.kind == "heading"]
    assert pages == ["page 1", "page 2"]


def test_corrupt_pdf_is_skipped_with_reason(tmp_path: Path) -> None:
    p = tmp_path / "broken.pdf"
    p.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog garbage")
    with pytest.raises(Skip, match="PDF"):
        load(p)


def test_jsonl_text_field_and_malformed_lines(tmp_path: Path) -> None:
    p = tmp_path / "notes.jsonl"
    p.write_text(
        '{"_id": "d1", "title": "T1", "body": "first"}\nnot json\n{"_id": "d2", "body": "second"}\n{"x": 1}\n'
    )
    docs, warnings = load(p, LoaderOptions(text_field="body"))
    assert [(d.doc_id, d.title, d.text, d.kind) for d in docs] == [
        ("d1", "T1", "first", "json"),
        ("d2", "", "second", "json"),
    ]
    assert any("1 malformed JSON line(s) skipped (line 2)" in w for w in warnings)
    assert any("without a text field 'body'" in w for w in warnings)


def test_json_array_with_nested_text_field(tmp_path: Path) -> None:
    p = tmp_path / "a.json"
    p.write_text(json.dumps([{"id": 7, "data": {"body": "nested text"}}]))
    (doc,), _ = load(p, LoaderOptions(text_field="data.body"))
    assert doc.doc_id == "7" and doc.text == "nested text"


def _listing() -> list:
    post = {
        "kind": "t3",
        "data": {
            "id": "p1",
            "name": "t3_p1",
            "subreddit": "cscareerquestions",
            "title": "How do you prepare for system design?",
            "selftext": "I keep failing the design round.",
            "score": 42,
            "permalink": "/r/cscareerquestions/comments/p1/how/",
        },
    }
    reply = {
        "kind": "t1",
        "data": {
            "id": "c2",
            "subreddit": "cscareerquestions",
            "body": "Practice estimating QPS.",
            "score": 3,
            "link_id": "t3_p1",
            "parent_id": "t1_c1",
            "replies": "",
        },
    }
    deleted = {
        "kind": "t1",
        "data": {"id": "c3", "subreddit": "cscareerquestions", "body": "[deleted]", "link_id": "t3_p1"},
    }
    top = {
        "kind": "t1",
        "data": {
            "id": "c1",
            "subreddit": "cscareerquestions",
            "body": "Read DDIA.\n\n*I am a bot, and this action was performed automatically.*",
            "score": 10,
            "link_id": "t3_p1",
            "parent_id": "t3_p1",
            "permalink": "/r/cscareerquestions/comments/p1/how/c1/",
            "replies": {
                "kind": "Listing",
                "data": {"children": [reply, deleted, {"kind": "more", "data": {}}]},
            },
        },
    }
    return [
        {"kind": "Listing", "data": {"children": [post]}},
        {"kind": "Listing", "data": {"children": [top]}},
    ]


def test_reddit_listing_walks_comment_trees(tmp_path: Path) -> None:
    p = tmp_path / "thread.json"
    p.write_text(json.dumps(_listing()))
    docs, _ = load(p)
    assert [d.doc_id for d in docs] == ["t3_p1", "t1_c1", "t1_c2"]
    assert all(d.kind == "reddit" for d in docs)
    post, c1, c2 = docs
    assert post.meta["subreddit"] == "cscareerquestions" and post.meta["score"] == 42
    assert post.meta["permalink"] == "https://www.reddit.com/r/cscareerquestions/comments/p1/how/"
    assert c1.text == "Read DDIA."  # bot footer dropped
    assert c1.title == post.title and c2.meta["post_id"] == "p1"
    assert c2.meta["permalink"].endswith("/comments/p1/_/c2/")


def test_pushshift_ndjson_zst(tmp_path: Path) -> None:
    lines = [
        {
            "id": "p9",
            "subreddit": "MachineLearning",
            "title": "Feature stores?",
            "selftext": "",
            "score": 5,
            "permalink": "/r/MachineLearning/comments/p9/x/",
        },
        {"id": "k1", "subreddit": "MachineLearning", "body": "We use Feast.", "link_id": "t3_p9", "score": 2},
        {"id": "k2", "subreddit": "MachineLearning", "body": "[removed]", "link_id": "t3_p9", "score": 1},
    ]
    raw = ("\n".join(json.dumps(x) for x in lines) + "\n{broken\n").encode()
    p = tmp_path / "RC_2024-01.zst"
    p.write_bytes(zstandard.ZstdCompressor().compress(raw))
    docs, warnings = load(p)
    assert [(d.doc_id, d.text, d.title) for d in docs] == [
        ("t3_p9", "Feature stores?", "Feature stores?"),
        ("t1_k1", "We use Feast.", "Feature stores?"),
    ]
    assert any("malformed" in w for w in warnings)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "empty file"),
        ("blank.txt", b"  \n\n ", "no text"),
        ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00binary", "binary content"),
        ("bad.json", b"{not json", "not valid JSON"),
        ("all-bad.jsonl", b"nope\nstill nope\n", "no valid JSON line"),
        ("data.bin", b"\x00\x01", "unsupported file type .bin"),
    ],
)
def test_bad_files_raise_skip_with_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(Skip, match=reason):
        load(p)


def test_invalid_utf8_is_read_with_a_warning(tmp_path: Path) -> None:
    p = tmp_path / "latin1.txt"
    p.write_bytes(b"Cr\xe8me br\xfbl\xe9e recipe")
    (doc,), warnings = load(p)
    assert doc.text == "Cr\ufffdme br\ufffdl\ufffde recipe"
    assert warnings == ["invalid UTF-8: 3 byte(s) replaced with U+FFFD"]


def test_size_limit(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    p.write_text("x" * 2000)
    with pytest.raises(Skip, match="too large"):
        load(p, LoaderOptions(max_file_bytes=1000))

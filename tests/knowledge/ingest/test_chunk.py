from __future__ import annotations

from pathlib import Path

import pytest

from study_tracker.knowledge.documents import Document
from study_tracker.knowledge.ingest.chunk import Chunker
from study_tracker.knowledge.ingest.loaders.markdown import load_markdown
from study_tracker.knowledge.ingest.sources import bundled_guides_path


@pytest.fixture(scope="module")
def tokenizer():
    """The packaged model's fast tokenizer (no torch)."""
    from study_tracker.knowledge.embed.base import packaged_model_path
    from study_tracker.knowledge.ingest.chunk import load_tokenizer

    return load_tokenizer(packaged_model_path())


LONG = " ".join(
    f"Sentence {i} explains why the cache hit rate drops under a scan workload." for i in range(80)
)


def md_doc(text: str) -> Document:
    return load_markdown(Path("/notes/guide.md"), text)


def full_tokens(tok, text: str) -> int:
    return len(tok.encode(text).ids)  # with [CLS] and [SEP], as the model sees it


def test_offsets_point_at_the_original_text(tokenizer) -> None:
    text = "# Guide\n\nIntro about **caches**.\n\n## Eviction\n\n" + LONG + "\n\n## Sizing\n\nSmall."
    chunks = Chunker(tokenizer).chunk(md_doc(text))
    for c in chunks:
        assert c.text == text[c.start : c.end]
    assert chunks[0].text == "Intro about **caches**."
    assert "caches" in chunks[0].index_text and "**" not in chunks[0].index_text


def test_every_chunk_fits_the_window_with_its_heading_path(tokenizer) -> None:
    text = "# Guide\n\n## A very long section title that repeats itself a little\n\n" + LONG
    chunker = Chunker(tokenizer, max_tokens=256)
    chunks = chunker.chunk(md_doc(text))
    assert len(chunks) > 3
    for c in chunks:
        assert c.index_text.startswith("Guide > A very long section title")
        assert full_tokens(tokenizer, c.index_text) <= 256
        assert c.n_tokens == full_tokens(tokenizer, c.index_text)
    # Split at sentence ends: no chunk starts or ends mid-sentence.
    assert all(c.text.startswith("Sentence") and c.text.endswith(".") for c in chunks)


def test_sections_are_never_crossed_and_paths_nest(tokenizer) -> None:
    text = "# T\n\n## A\n\nalpha text\n\n### A1\n\nnested text\n\n## B\n\nbeta text\n"
    chunks = Chunker(tokenizer).chunk(md_doc(text))
    assert [(c.heading_path, c.text) for c in chunks] == [
        (["T", "A"], "alpha text"),
        (["T", "A", "A1"], "nested text"),
        (["T", "B"], "beta text"),
    ]


def test_code_blocks_and_lists_stay_whole(tokenizer) -> None:
    code = "```python\n# configure the pool\npool = Pool(8)\n\n# run\npool.map(f, xs)\n```"
    items = "- first point about latency\n- second point about throughput\n- third point about cost"
    text = f"# Ops\n\nBefore.\n\n{code}\n\n{items}\n\nAfter."
    chunks = Chunker(tokenizer).chunk(md_doc(text))
    assert len(chunks) == 1  # all fits: one chunk, nothing split
    assert code in chunks[0].text and items in chunks[0].text
    assert chunks[0].heading_path == ["Ops"]  # "# configure" inside the fence is not a heading


def test_long_code_block_splits_on_lines(tokenizer) -> None:
    body = "\n".join(f"value_{i} = compute_something(value_{i - 1}, factor={i})" for i in range(1, 120))
    text = f"# Code\n\n```python\n{body}\n```\n"
    chunks = Chunker(tokenizer, max_tokens=128).chunk(md_doc(text))
    assert len(chunks) > 2
    for c in chunks:
        assert full_tokens(tokenizer, c.index_text) <= 128
        # each chunk is whole lines
        assert text[c.start - 1] == "\n" and text[c.end] == "\n"


def test_overlap_repeats_the_tail_of_the_previous_chunk(tokenizer) -> None:
    paragraphs = "\n\n".join(f"Paragraph {i} is about sharding keys and hot partitions." for i in range(60))
    text = f"# S\n\n{paragraphs}\n"
    plain = Chunker(tokenizer, max_tokens=128, overlap=0).chunk(md_doc(text))
    overlapped = Chunker(tokenizer, max_tokens=128, overlap=30).chunk(md_doc(text))
    assert all(a.end <= b.start for a, b in zip(plain, plain[1:], strict=False))
    assert any(b.start < a.end for a, b in zip(overlapped, overlapped[1:], strict=False))
    assert len(overlapped) > len(plain)


def test_a_word_longer_than_the_window_is_split_by_tokens(tokenizer) -> None:
    text = "-".join(["token"] * 1500)  # no spaces, no sentence ends: only token windows can split it
    doc = Document(doc_id="d", text=text, kind="text", source="s")
    chunks = Chunker(tokenizer, max_tokens=64).chunk(doc)
    assert len(chunks) > 1
    assert "".join(c.text for c in chunks) == text
    assert all(full_tokens(tokenizer, c.index_text) <= 64 for c in chunks)


def test_plain_text_paragraphs(tokenizer) -> None:
    text = "First para line one\nline two.\n\n\n  Second para.  \n"
    doc = Document(doc_id="d", text=text, kind="text", source="s", title="notes")
    chunks = Chunker(tokenizer).chunk(doc)
    assert len(chunks) == 1
    assert chunks[0].text == "First para line one\nline two.\n\n\n  Second para."
    assert chunks[0].heading_path == ["notes"]


def test_bundled_guides_chunk_within_the_window(tokenizer) -> None:
    chunker = Chunker(tokenizer)
    for path in bundled_guides_path().glob("*.md"):
        doc = load_markdown(path, path.read_text())
        chunks = chunker.chunk(doc)
        assert chunks, path
        for c in chunks:
            assert full_tokens(tokenizer, c.index_text) <= 256
            assert c.text == doc.text[c.start : c.end]

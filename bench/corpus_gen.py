"""A realistic synthetic corpus for the speed and memory benchmarks.

    .venv/bin/python bench/corpus_gen.py OUT_DIR --sections 100000 [--per-file 50] [--seed 7]

Each section is ~40-130 words recombined from real sentences (SciFact and NFCorpus abstracts,
plus the bundled study guides and skill files), mostly drawn from one source document so a
section stays on one topic, with a few sentences from elsewhere. About 3% of words are replaced
by pseudo-words drawn from a Zipf distribution, so the vocabulary keeps growing with corpus size
(Heaps' law) the way real notes with names, code identifiers and typos do. Sections are written
as Markdown files (``# title`` then ``## heading`` per section) so the product's own loader and
chunker see ordinary notes: one section of this size is one chunk.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

DATA = Path("/work/shared/bench-data")
CONTENT = Path(__file__).resolve().parents[1] / "src" / "study_tracker" / "content"
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")
_SYL = [
    "ka",
    "ro",
    "mi",
    "ten",
    "sul",
    "vo",
    "pra",
    "lin",
    "dex",
    "qu",
    "zo",
    "fer",
    "nal",
    "ix",
    "op",
    "tra",
]


def source_documents() -> list[tuple[str, list[str]]]:
    """(title, sentences) of every real document available offline."""
    docs: list[tuple[str, list[str]]] = []
    for name in ("scifact", "nfcorpus"):
        path = DATA / name / "corpus.jsonl"
        if path.exists():
            with path.open() as f:
                for row in map(json.loads, f):
                    sents = [s for s in _SENT.split(row.get("text") or "") if len(s.split()) >= 4]
                    if sents:
                        docs.append((row.get("title") or "Notes", sents))
    for path in sorted(CONTENT.rglob("*")):
        if path.suffix in {".md", ".yaml", ".yml"}:
            text = re.sub(r"[#*`>|_-]+", " ", path.read_text(encoding="utf-8", errors="replace"))
            sents = [s.strip() for s in re.split(r"(?<=[.!?:])\s+|\n{2,}", text) if len(s.split()) >= 4]
            if sents:
                docs.append((path.stem.replace("_", " ").title(), sents))
    if not docs:
        raise SystemExit(f"No source texts found under {DATA} or {CONTENT}.")
    return docs


def _pseudo_word(rng: random.Random) -> str:
    rank = min(int(20 * rng.paretovariate(0.8)), 2_000_000)  # Zipf-like: few frequent, a long tail
    r = random.Random(rank)  # the same rank always spells the same word
    return "".join(r.choice(_SYL) for _ in range(2 + rank % 3)) + (str(rank % 97) if rank % 5 == 0 else "")


def sections(n: int, seed: int = 7) -> Iterator[tuple[str, str]]:
    """``n`` (heading, body) pairs of realistic, topic-coherent text."""
    rng = random.Random(seed)
    docs = source_documents()
    for i in range(n):
        title, sents = docs[rng.randrange(len(docs))]
        target = rng.randint(40, 130)  # words; fits one 256-token chunk with its heading path
        out: list[str] = []
        words = 0
        start = rng.randrange(len(sents))
        j = 0
        while words < target and j < 40:
            if rng.random() < 0.2:  # an aside from another document
                _, other = docs[rng.randrange(len(docs))]
                s = other[rng.randrange(len(other))]
            else:
                s = sents[(start + j) % len(sents)]
            j += 1
            toks = s.split()
            toks = [_pseudo_word(rng) if rng.random() < 0.03 else t for t in toks]
            if out and words + len(toks) > target:
                break
            out.append(" ".join(toks[:target]))
            words += len(toks)
        heading = " ".join(title.split()[: rng.randint(3, 8)]).rstrip(".,;:")
        yield f"{heading} ({i})", " ".join(out)


def write_corpus(out: Path, n: int, per_file: int = 50, seed: int = 7) -> int:
    """Write ``n`` sections into Markdown files of ``per_file`` sections; return the file count."""
    out.mkdir(parents=True, exist_ok=True)
    files = 0
    buf: list[str] = []
    for i, (heading, body) in enumerate(sections(n, seed), 1):
        buf.append(f"## {heading}\n\n{body}\n")
        if i % per_file == 0 or i == n:
            (out / f"notes-{files:05d}.md").write_text(
                f"# Notes {files}\n\n" + "\n".join(buf), encoding="utf-8"
            )
            files += 1
            buf = []
    return files


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Write a realistic synthetic Markdown corpus.")
    ap.add_argument("out", type=Path)
    ap.add_argument("--sections", type=int, default=100_000)
    ap.add_argument("--per-file", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    print(f"{write_corpus(a.out, a.sections, a.per_file, a.seed)} files written to {a.out}")

"""Ask without an LLM on the bundled study guides, through a running server over real HTTP; and what
the "From your materials" passages add to a topic page.

    python bench/ask_latency.py [--requests 200] [--data-dir DIR]

Starts `study serve` on a free port with its own data folder (a fresh one unless --data-dir names
one already prepared), waits until the guides are indexed in the background, warms up, then times
POST /api/ask over varied questions (keep-alive), and topic pages with their passages. Prints
medians and p95.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from served import pct, serve  # noqa: E402

QUESTIONS = [
    "How does consistent hashing limit key movement when a node joins?",
    "What is a bloom filter good for?",
    "When should I use a message queue instead of a direct call?",
    "How do read and write quorums give consistency?",
    "What is the difference between horizontal and vertical scaling?",
    "How does a CDN reduce latency?",
    "Why use a write-ahead log?",
    "What is the two-pointer technique?",
    "When does a sliding window work for substring problems?",
    "How do I detect a cycle in a linked list?",
    "What is topological sort used for?",
    "How does binary search on the answer work?",
    "What does dropout do during training?",
    "Why does batch normalization help?",
    "How is precision different from recall?",
    "What is the bias-variance trade-off?",
    "How does gradient boosting build trees?",
    "What is regularization in logistic regression?",
    "How do two-tower models retrieve candidates?",
    "What is negative sampling in recommendation models?",
    "How do you handle the cold start problem in recommendations?",
    "What is feature drift and how do you monitor it?",
    "How do you design an online feature store?",
    "What is the difference between online and offline evaluation?",
    "How does rate limiting with a token bucket work?",
    "What is a leader election for?",
    "How do you shard a database by user id?",
    "What are the trade-offs of caching with write-through?",
    "How does attention work in transformers?",
    "What is the purpose of a learning rate schedule?",
    "How do you pick k in k-means?",
    "What is a heap used for in top-k problems?",
    "How does dynamic programming avoid recomputation?",
    "What is backtracking?",
    "How do you deploy a model with a canary release?",
    "What metrics matter for a ranking model?",
    "What is the capital of Australia?",  # off-topic: "nothing relevant"
    "Recipe for banana bread",  # off-topic
]
TOPICS = [
    "/tracks/system_design/days/6",
    "/tracks/coding_patterns/days/3",
    "/tracks/ml_algorithms/days/5",
    "/tracks/recommendations/days/4",
    "/tracks/ml_system_design/days/2",
]


def wait_ready(client: httpx.Client, timeout: float) -> float:
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = client.post("/api/ask", json={"question": QUESTIONS[0]})
            if r.status_code == 200:
                return time.perf_counter() - t0
            if r.status_code not in (503,):
                raise RuntimeError(f"/api/ask answered {r.status_code}: {r.text[:300]}")
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the knowledge base was not ready in {timeout:.0f} s")


def timed(client: httpx.Client, method: str, path: str, **kw: object) -> tuple[float, httpx.Response]:
    t0 = time.perf_counter()
    r = client.request(method, path, **kw)  # type: ignore[arg-type]
    return (time.perf_counter() - t0) * 1000, r


def related_in_process(data_dir: Path, runs: int) -> list[float]:
    """The passage search alone (``related_passages``) on the same index, in this process."""
    from study_tracker.config import Settings
    from study_tracker.knowledge.search import related
    from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
    from study_tracker.knowledge.search.related import related_passages
    from study_tracker.tracker.service import get_topic

    kb = KnowledgeBase.open(Settings(data_dir=data_dir), export=False)
    topics = [get_topic(p.split("/")[2], int(p.split("/")[-1])) for p in TOPICS]
    for t in topics:
        related_passages(kb, title=t.title, subtopics=t.subtopics)
    out = []
    for i in range(runs):
        t = topics[i % len(topics)]
        related._CACHE.clear()  # the first view of a topic: a real search, not the per-index cache
        out.append(related_passages(kb, title=t.title, subtopics=t.subtopics).took_ms)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, help="an existing data folder (default: a fresh one)")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-ask-")) / "data"
    with (
        serve(data_dir, STUDY_LLM_ENABLED="false", HF_HUB_OFFLINE="1") as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        ready = wait_ready(client, timeout=900)
        print(f"knowledge base ready {ready:.1f} s after the server answered (data: {data_dir})")
        for q in QUESTIONS:  # warm-up: every question once
            assert client.post("/api/ask", json={"question": q}).status_code == 200
        asks, modes = [], Counter()
        for i in range(args.requests):
            ms, r = timed(client, "POST", "/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
            assert r.status_code == 200, r.text
            asks.append(ms)
            modes[r.json()["mode"]] += 1
        pages, page_ms = [], []
        for i in range(args.requests // 2):
            ms, r = timed(client, "GET", TOPICS[i % len(TOPICS)])
            assert r.status_code == 200 and "From your materials" in r.text
            page_ms.append(ms)
            pages.append(r.text.count('class="related-passage"'))
        ask_page_ms = [timed(client, "GET", "/ask", params={"q": QUESTIONS[i % 10]})[0] for i in range(50)]
    related = related_in_process(data_dir, args.requests)

    load = os.getloadavg()[0]
    print(
        f"\n{args.requests} requests, {len(QUESTIONS)} questions cycled, keep-alive, load average {load:.1f}"
    )
    print(f"answers by mode: {dict(modes)}")
    print(f"{'':44} {'median ms':>10} {'p95 ms':>8}")
    print(f"{'POST /api/ask (extractive, no LLM)':44} {statistics.median(asks):10.1f} {pct(asks, 95):8.1f}")
    print(
        f"{'GET /ask?q= (the whole page)':44} {statistics.median(ask_page_ms):10.1f} {pct(ask_page_ms, 95):8.1f}"
    )
    print(
        f"{'GET topic page (3 passages, cached per index)':44} {statistics.median(page_ms):10.1f} {pct(page_ms, 95):8.1f}"
    )
    print(
        f"{'passage search, first view (in process)':44} {statistics.median(related):10.1f} {pct(related, 95):8.1f}"
    )
    print(f"passages shown per topic page: {Counter(pages)}")


if __name__ == "__main__":
    main()

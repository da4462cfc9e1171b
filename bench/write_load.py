"""Write load: many clients with no think time against a running `study serve`, then the database is
checked for what the load did to it.

    python bench/write_load.py [--clients 50] [--seconds 60] [--src PATH]

Each client loops over a mix of completing a day (30%), logging a review (25%), undoing (10%), and
reading Today (20%) and History (15%), on both groups, over real HTTP. Days and reviews are picked
from a small set, so clients collide all the time: that is the point. Afterwards it prints:

* server errors: 5xx answers and failed connections (target 0);
* lost acknowledged writes: completions, reviews and undos the server answered 2xx for that are
  not in the database after the server stopped (target 0);
* duplicates: live completions of one day in one run, live reviews of one completion step, undos
  of one entry (target 0);
* latency p50/p99 of writes (every answer: accepted, refused 409) and of reads.

``--src`` runs the server from another checkout's ``src`` (e.g. /work/main/src) to compare, with
the same workload and checks (the checks read the database with plain SQL that works on both).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from served import pct, serve  # noqa: E402

TODAY = date(2026, 11, 22)
GROUPS = ("swe", "ml_specialist")
SEEDED_DAYS = 7  # days of each track completed yesterday: their first reviews are due today


@dataclass
class Tally:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    write_ms: list[float] = field(default_factory=list)
    read_ms: list[float] = field(default_factory=list)
    transport_errors: int = 0
    completions: set[int] = field(default_factory=set)  # acknowledged (201)
    reviews: set[int] = field(default_factory=set)  # acknowledged (201)
    undone: list[str] = field(default_factory=list)  # acknowledged undos: "completion:<id>"...
    errors: list[str] = field(default_factory=list)


async def seed(client: httpx.AsyncClient) -> tuple[dict[str, int], list[int]]:
    """Replace the data with each track started a week ago and its first days completed yesterday."""
    doc = (await client.get("/api/export")).json()
    tracks = {t["slug"]: t["days"] for t in (await client.get("/api/tracks")).json()}
    start = TODAY - timedelta(days=7)
    for t in doc["tracks"]:
        t["start_date"] = str(start)
    group_of = {t["track"]: t["group"] for t in doc["tracks"]}
    yesterday = TODAY - timedelta(days=1)
    doc["completions"] = [
        {
            "id": len(group_of) * 100 + i * 100 + day,
            "group": group_of[slug],
            "track": slug,
            "day": day,
            "difficulty": 3,
            "notes": "seed",
            "completed_at": f"{yesterday}T09:00:00+00:00",
            "local_date": str(yesterday),
        }
        for i, slug in enumerate(sorted(tracks))
        for day in range(1, SEEDED_DAYS + 1)
    ]
    r = await client.post("/api/import", params={"replace": "true"}, json=doc)
    r.raise_for_status()
    return tracks, [c["id"] for c in doc["completions"]]


async def client_loop(
    client: httpx.AsyncClient,
    tally: Tally,
    tracks: dict[str, int],
    ids: list[int],
    until: float,
    rng: random.Random,
) -> None:
    slugs = sorted(tracks)
    while time.monotonic() < until:
        pick = rng.random()
        group = rng.choice(GROUPS)
        if pick < 0.30:
            kind = "complete"
            slug = rng.choice(slugs)
            req = client.post(
                "/api/completions", json={"track": slug, "day": rng.randint(1, 12), "difficulty": 3}
            )
        elif pick < 0.55:
            kind = "review"
            req = client.post(f"/api/reviews/{rng.choice(ids)}", json={"rating": rng.randint(1, 4)})
        elif pick < 0.65:
            kind = "undo"
            req = client.post("/api/undo", params={"group": group})
        elif pick < 0.85:
            kind = "today"
            req = client.get("/api/today", params={"group": group})
        else:
            kind = "history"
            req = client.get("/api/history", params={"group": group})
        t = time.perf_counter()
        try:
            r = await req
        except httpx.TransportError as exc:
            tally.transport_errors += 1
            tally.errors.append(f"{kind}: {type(exc).__name__}")
            continue
        ms = (time.perf_counter() - t) * 1000
        (tally.write_ms if kind in ("complete", "review", "undo") else tally.read_ms).append(ms)
        tally.statuses[(kind, r.status_code)] += 1
        if r.status_code >= 500:
            tally.errors.append(f"{kind} {r.status_code}: {r.text[:200]}")
        elif kind == "complete" and r.status_code == 201:
            tally.completions.add(r.json()["id"])
            ids.append(r.json()["id"])
        elif kind == "review" and r.status_code == 201:
            tally.reviews.add(r.json()["id"])
        elif kind == "undo" and r.status_code == 200:
            # An older server does not say which entry it undid: those undos are counted, not checked.
            tally.undone.append(r.json().get("entry") or "")


def check(db: Path, tally: Tally) -> dict[str, int]:
    """Lost acknowledged writes and duplicates, with plain SQL (the same on old and new schemas)."""
    conn = sqlite3.connect(db)
    completions = {r[0] for r in conn.execute("SELECT id FROM completions")}
    reviews = {r[0] for r in conn.execute("SELECT id FROM review_logs")}
    undone_c = {r[0] for r in conn.execute("SELECT completion_id FROM undos WHERE completion_id IS NOT NULL")}
    undone_r = {r[0] for r in conn.execute("SELECT review_id FROM undos WHERE review_id IS NOT NULL")}
    lost = len(tally.completions - completions) + len(tally.reviews - reviews)
    for entry in filter(None, tally.undone):
        kind, _, ident = entry.partition(":")
        if int(ident) not in (undone_c if kind == "completion" else undone_r):
            lost += 1
    dup_days = conn.execute(
        """SELECT COALESCE(SUM(n - 1), 0) FROM (
             SELECT COUNT(*) AS n FROM completions c JOIN track_settings t ON t.track = c.track
             WHERE c.id NOT IN (SELECT completion_id FROM undos WHERE completion_id IS NOT NULL)
               AND c.local_date >= t.start_date
             GROUP BY c.track, c.day HAVING n > 1)"""
    ).fetchone()[0]
    dup_steps = conn.execute(
        """SELECT COALESCE(SUM(n - 1), 0) FROM (
             SELECT COUNT(*) AS n FROM review_logs
             WHERE id NOT IN (SELECT review_id FROM undos WHERE review_id IS NOT NULL)
             GROUP BY completion_id, step HAVING n > 1)"""
    ).fetchone()[0]
    dup_undos = conn.execute(
        """SELECT COUNT(*) - COUNT(DISTINCT COALESCE('c' || completion_id, 'r' || review_id)) FROM undos"""
    ).fetchone()[0]
    conn.close()
    return {"lost": lost, "dup_days": dup_days, "dup_steps": dup_steps, "dup_undos": dup_undos}


async def run(base_url: str, clients: int, seconds: float) -> Tally:
    tally = Tally()
    # Idle connections are dropped before the server's 5 s keep-alive ends, so a request never meets
    # a connection the server is closing at that moment (a client-side ReadError, not a server error).
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        tracks, ids = await seed(client)
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(client_loop(client, tally, tracks, ids, until, random.Random(i)) for i in range(clients))
        )
    return tally


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--src", type=Path, default=None, help="Run the server from this src folder.")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-writes-")) / "data"
    env = {"STUDY_TODAY": str(TODAY), "STUDY_TIMEZONE": "UTC", "STUDY_INDEX_ON_START": "false"}
    if args.src:
        env["PYTHONPATH"] = str(args.src.resolve()) + os.pathsep + os.environ.get("PYTHONPATH", "")
    with serve(data_dir, **env) as base_url:
        started = time.monotonic()
        tally = asyncio.run(run(base_url, args.clients, args.seconds))
        elapsed = time.monotonic() - started
    found = check(data_dir / "study.db", tally)

    total = sum(tally.statuses.values()) + tally.transport_errors
    server_errors = (
        sum(n for (_, status), n in tally.statuses.items() if status >= 500) + tally.transport_errors
    )
    print(f"server: {args.src or 'this checkout'}; {args.clients} clients, {elapsed:.0f} s, {total} requests")
    for kind in ("complete", "review", "undo", "today", "history"):
        by_status = {s: n for (k, s), n in sorted(tally.statuses.items()) if k == kind}
        print(f"  {kind:8} {json.dumps(by_status)}")
    print(f"server errors: {server_errors} ({server_errors / max(total, 1):.1%})")
    checked = sum(1 for e in tally.undone if e)
    print(
        f"lost acknowledged writes: {found['lost']} (of {len(tally.completions)} completions, "
        f"{len(tally.reviews)} reviews, {checked} of {len(tally.undone)} undos checked by entry)"
    )
    print(
        f"duplicates: {found['dup_days'] + found['dup_steps'] + found['dup_undos']} "
        f"(days {found['dup_days']}, review steps {found['dup_steps']}, undos {found['dup_undos']})"
    )
    print(f"write latency: p50 {pct(tally.write_ms, 50):.0f} ms, p99 {pct(tally.write_ms, 99):.0f} ms")
    print(f"read latency:  p50 {pct(tally.read_ms, 50):.0f} ms, p99 {pct(tally.read_ms, 99):.0f} ms")
    for line in Counter(tally.errors).most_common(5):
        print(f"  error x{line[1]}: {line[0]}")


if __name__ == "__main__":
    main()

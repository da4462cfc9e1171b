"""``study questions``: generate for a roadmap and a file, list, accept, edit, reject; errors as
one red line and an exit code; an accepted question drilled with ``study drill --roadmap``."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli_helpers import study

SAMPLES = Path(__file__).parents[1] / "roadmaps" / "samples"
ML = "machine-learning-engineer-roadmap"


def test_generate_list_accept_edit_reject_and_drill(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert study(data, "roadmap", "import", str(SAMPLES / "ml-phases.md"), "--no-kb").returncode == 0
    out = study(data, "questions", "generate", "--roadmap", ML)
    assert out.returncode == 0, out.stderr
    assert re.search(r"\d+ questions queued", out.stdout)
    assert re.search(r"\b(\d+)/\1 key points supported", " ".join(out.stdout.split()))
    rows = json.loads(study(data, "questions", "list", "--status", "queued", "--json").stdout)
    assert len(rows) >= 3 and all(r["source"].endswith(f"{ML}.md") for r in rows)
    first, second, third = sorted(r["id"] for r in rows)[:3]
    assert "Accepted #" in study(data, "questions", "accept", str(first)).stdout
    assert "Rejected #" in study(data, "questions", "reject", str(second)).stdout
    out = study(
        data,
        "questions",
        "edit",
        str(third),
        "--prompt",
        "Name two topics.",
        "--key-point",
        "CNNs",
        "--key-point",
        "Transformers",
    )
    assert out.returncode == 0 and "Name two topics." in out.stdout
    assert (
        json.loads(study(data, "questions", "list", "--status", "rejected", "--json").stdout)[0]["id"]
        == second
    )

    out = study(data, "questions", "accept", str(second))
    assert out.returncode == 1 and "already rejected" in out.stderr
    out = study(data, "questions", "list", "--status", "maybe")
    assert out.returncode == 2 and "status" in out.stderr
    out = study(data, "questions", "edit", str(third))
    assert out.returncode == 2 and "prompt" in out.stderr

    out = study(data, "drill", "--roadmap", ML, "--count", "3", stdin="\ng\n")
    assert out.returncode == 0, out.stderr
    accepted = json.loads(study(data, "questions", "list", "--status", "accepted", "--json").stdout)
    assert [a["id"] for a in accepted] == [first] and accepted[0]["prompt"] in out.stdout


def test_generate_from_a_file_and_refusals(tmp_path: Path) -> None:
    data = tmp_path / "data"
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# Caching\n\n## Eviction\n\nLRU evicts the least recently used key first. LFU keeps keys that "
        "are read often, which suits stable popularity.\n\n- Write-through caches\n- Write-back caches\n"
        "- Cache-aside reads\n",
        encoding="utf-8",
    )
    out = study(data, "questions", "generate", "--source", str(notes))
    assert out.returncode == 0, out.stderr
    assert "Explain eviction." in out.stdout and "Name the 3 points listed" in out.stdout
    again = study(data, "questions", "generate", "--source", str(notes))
    assert "0 questions queued" in again.stdout and "2 near-duplicates dropped" in again.stdout
    out = study(data, "questions", "generate", "--source", str(tmp_path / "missing.md"))
    assert out.returncode == 1 and "does not exist" in out.stderr
    out = study(data, "questions", "generate")
    assert out.returncode == 2 and "roadmap" in out.stderr
    out = study(data, "questions", "generate", "--roadmap", "nope")
    assert out.returncode == 1 and "no roadmap" in out.stderr

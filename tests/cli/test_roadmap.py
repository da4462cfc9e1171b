"""`study roadmap ...`: import, show, tick, re-import, and errors naming the file."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import study

SAMPLES = Path(__file__).parents[1] / "roadmaps" / "samples"
ML = "machine-learning-engineer-roadmap"


def test_roadmap_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    sample = SAMPLES / "ml-phases.md"
    out = study(data, "roadmap", "import", str(sample), "--start", "2026-11-02", "--no-kb")
    assert out.returncode == 0, out.stderr
    assert f"Imported Machine Learning Engineer Roadmap as {ML}" in out.stdout
    assert "3 topics, 10 subtopics, 2 milestones, 9 tasks, 3 resources" in out.stdout
    assert "2026-11-23 → 2026-12-20" in out.stdout and "Overview" in out.stderr

    key = "phase-2-ml-fundamentals/project-house-price-predictor"
    out = study(data, "roadmap", "tick", ML, key, "--link", "https://github.com/me/house")
    assert out.returncode == 0 and "done, link https://github.com/me/house" in out.stdout
    out = study(data, "roadmap", "show", ML)
    assert (
        out.returncode == 0 and "link: https://github.com/me/house" in out.stdout and "(done)" in out.stdout
    )
    out = study(data, "roadmap", "list")
    assert "2/14" in out.stdout  # the [x] in the file and the milestone (its checklist stays as it is)

    edited = tmp_path / "ml-phases.md"
    edited.write_text(
        sample.read_text(encoding="utf-8").replace("(Weeks 8-12)", "(Weeks 8-10)"), encoding="utf-8"
    )
    out = study(data, "roadmap", "import", str(edited), "--no-kb")
    assert out.returncode == 0 and "Updated" in out.stdout and "2026-12-21 → 2027-01-10" in out.stdout
    assert "2/14" in study(data, "roadmap", "list").stdout

    out = study(data, "roadmap", "tick", ML, key, "--undo")
    assert out.returncode == 0 and "not done" in out.stdout


def test_roadmap_import_errors_name_the_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    prose = tmp_path / "notes.md"
    prose.write_text("Nothing but prose.\n", encoding="utf-8")
    out = study(data, "roadmap", "import", str(prose), "--no-kb")
    assert out.returncode == 2 and "notes.md" in out.stderr and "no roadmap structure" in out.stderr
    out = study(data, "roadmap", "import", str(tmp_path / "missing.md"), "--no-kb")
    assert out.returncode == 2 and "missing.md" in out.stderr
    out = study(data, "roadmap", "import", str(SAMPLES / "projects.md"), "--start", "tomorrow")
    assert out.returncode == 2 and "--start" in out.stderr
    out = study(data, "roadmap", "tick", "nope", "x")
    assert out.returncode == 1 and "no roadmap named 'nope'" in out.stderr
    assert "No roadmaps yet" in study(data, "roadmap", "list").stdout


def test_roadmap_start_and_remove(tmp_path: Path) -> None:
    data = tmp_path / "data"
    sample = SAMPLES / "ml-phases.md"
    assert study(data, "roadmap", "import", str(sample), "--start", "2026-11-02", "--no-kb").returncode == 0
    assert (
        study(
            data, "roadmap", "import", str(SAMPLES / "projects.md"), "--slug", "portfolio", "--no-kb"
        ).returncode
        == 0
    )

    out = study(data, "roadmap", "start", ML, "2027-01-04")
    assert out.returncode == 0, out.stderr
    assert (
        "now starts 2027-01-04 and ends 2027-03-28" in out.stdout and "2027-01-25 → 2027-02-21" in out.stdout
    )
    assert "2027-01-04" in study(data, "roadmap", "list").stdout
    out = study(data, "roadmap", "start", ML, "04/01/2027")
    assert out.returncode == 2 and "start_date" in out.stderr and "04/01/2027" in out.stderr
    out = study(data, "roadmap", "start", "nope", "2027-01-04")
    assert out.returncode == 1 and "no roadmap named 'nope'" in out.stderr

    # Without --yes and without a terminal to ask on, nothing is removed.
    out = study(data, "roadmap", "remove", ML)
    assert out.returncode == 2 and "--yes" in out.stderr
    assert ML in study(data, "roadmap", "list").stdout
    copy = data / "roadmaps" / f"{ML}.md"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(sample.read_text(encoding="utf-8"), encoding="utf-8")  # as `import --kb` keeps it
    out = study(data, "roadmap", "remove", ML, "--yes")
    assert out.returncode == 0, out.stderr
    assert f"Removed Machine Learning Engineer Roadmap ({ML})" in out.stdout and not copy.exists()
    listing = study(data, "roadmap", "list").stdout
    assert ML not in listing and "portfolio" in listing
    out = study(data, "roadmap", "remove", ML, "--yes")
    assert out.returncode == 1 and f"no roadmap named '{ML}'" in out.stderr

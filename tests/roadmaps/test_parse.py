"""The importer's reading of varied Markdown roadmaps (samples/ holds one per style)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from study_tracker.roadmaps.parse import ParsedRoadmap, parse_roadmap, repair
from study_tracker.roadmaps.service import _dates
from study_tracker.roadmaps.timing import add_units, find_timing

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> ParsedRoadmap:
    return parse_roadmap((SAMPLES / name).read_text(encoding="utf-8"))


def titles(parsed: ParsedRoadmap, kind: str) -> list[str]:
    return [i.title for i in parsed.items if i.kind == kind]


def by_key(parsed: ParsedRoadmap) -> dict:  # type: ignore[type-arg]
    return {i.key: i for i in parsed.items}


def test_at_least_six_samples_in_different_styles() -> None:
    assert len(list(SAMPLES.glob("*.md"))) >= 6


def test_phases_with_week_ranges_projects_and_resources() -> None:
    r = sample("ml-phases.md")
    assert r.title == "Machine Learning Engineer Roadmap"
    assert titles(r, "topic") == [
        "Phase 1: Python and Maths Foundations (Weeks 1-3)",
        "Phase 2: ML Fundamentals (Weeks 4-7)",
        "Phase 3: Deep Learning (Weeks 8-12)",
    ]
    timings = [
        (i.timing.unit, i.timing.start, i.timing.length) for i in r.items if i.kind == "topic" and i.timing
    ]
    assert timings == [("week", 0, 3), ("week", 3, 4), ("week", 7, 5)]
    items = by_key(r)
    house = items["phase-2-ml-fundamentals/project-house-price-predictor"]
    assert house.kind == "milestone" and house.parent_key == "phase-2-ml-fundamentals"
    assert "Predict sale prices" in house.body
    checklist = [(i.body, i.title) for i in r.items if i.parent_key == house.key]
    assert checklist == [
        ("Steps", "Clean the data and engineer features"),
        ("Steps", "Train a baseline linear model"),
        ("Steps", "Compare with gradient boosting"),
        ("Deliverables", "A notebook with the analysis"),
        ("Deliverables", "A short write-up of the results"),
    ]
    tasks = {
        i.title: i.checked
        for i in r.items
        if i.kind == "task" and i.parent_key == "phase-1-python-and-maths-foundations"
    }
    assert tasks == {"Finish 20 NumPy exercises": False, "Set up a Python environment with Jupyter": True}
    resources = [(i.title, i.url) for i in r.items if i.kind == "resource"]
    assert ("Hands-on ML book", "https://example.org/hands-on-ml") in resources
    assert ("The official scikit-learn user guide", None) in resources
    # The "Overview" section is not structure.
    assert not any("Study 10-12 hours" in i.title for i in r.items)
    assert any("Overview" in w for w in r.warnings)


def test_levels_with_month_boundaries_and_setext_headings() -> None:
    r = sample("levels-months.md")
    assert r.title == "Data Engineering Career Ladder"
    topics = [i for i in r.items if i.kind == "topic"]
    assert [(t.timing.start, t.timing.length, t.timing.unit) for t in topics if t.timing] == [
        (0, 6, "month"),
        (6, 6, "month"),
        (12, 6, "month"),
    ]
    assert len([i for i in r.items if i.kind == "subtopic" and i.parent_key == topics[1].key]) == 3
    assert [i.url for i in r.items if i.kind == "resource"] == [
        "https://example.com/ddia-notes",
        "https://example.com/kimball",
    ]


def test_plain_week_by_week_list_becomes_topics() -> None:
    r = sample("week-by-week.md")
    topics = [i for i in r.items if i.kind == "topic"]
    assert [t.title for t in topics][:2] == ["Week 1: Arrays and hashing", "Week 2: Linked lists and stacks"]
    assert [(t.timing.start, t.timing.length) for t in topics if t.timing] == [
        (0, 1),
        (1, 1),
        (2, 1),
        (3, 1),
        (4, 2),
        (6, 2),
    ]
    assert titles(r, "subtopic")[:3] == ["Two pointers", "Sliding window", "Hash maps and sets"]


def test_numbered_course_outline_without_durations() -> None:
    r = sample("course-outline.md")
    assert titles(r, "topic") == [
        "1. Getting started",
        "2. Filtering and sorting",
        "3. Aggregation",
        "4. Joins",
    ]
    assert all(i.timing is None for i in r.items)
    items = by_key(r)
    tutorial = items["1-getting-started/sql-tutorial"]
    assert tutorial.kind == "resource" and tutorial.url == "https://example.net/sql-tutorial"
    exercises = [i for i in r.items if i.kind == "task"]
    assert [t.parent_key for t in exercises] == ["3-aggregation/3-1-exercises"] * 2
    assert items["3-aggregation/3-1-exercises"].parent_key == "3-aggregation"


def test_project_heavy_document_objective_steps_deliverables() -> None:
    r = sample("projects.md")
    assert titles(r, "milestone") == [
        "Project 1: Sentiment Classifier API",
        "Project 2: Recommendation Engine",
        "Capstone: End-to-end RAG assistant",
    ]
    assert titles(r, "topic") == []
    items = by_key(r)
    assert items["project-1-sentiment-classifier-api"].body.startswith("Serve a text classifier")
    rec = [i for i in r.items if i.parent_key == "project-2-recommendation-engine"]
    assert [(i.body, i.checked) for i in rec] == [
        ("Steps", True),
        ("Steps", False),
        ("Steps", False),
        ("Deliverables", False),
        ("Deliverables", False),
    ]
    capstone = [(i.body, i.title) for i in r.items if i.parent_key == "capstone-end-to-end-rag-assistant"]
    assert capstone == [
        ("Steps", "chunk, embed and index the notes"),
        ("Deliverables", "a deployed demo and an evaluation report"),
    ]


def test_emoji_mojibake_and_code_blocks() -> None:
    r = sample("emoji-mojibake.md")
    assert r.title == "🚀 Full-Stack Roadmap — 2025 Edition"  # "â€”" repaired
    assert titles(r, "topic") == [
        "🧱 Phase 1: HTML & CSS Basics (Weeks 1-2)",
        "⚙️ Phase 2: JavaScript (Weeks 3-5)",
        "🗄️ Phase 3: Back-end & Databases (Weeks 6-9)",
    ]
    everything = " ".join(i.title + " " + i.body for i in r.items)
    for inside_code in (
        "not real",
        "not a real task",
        "not a task either",
        "indented code",
        "Phase 100",
        "install tools",
    ):
        assert inside_code not in everything
    assert titles(r, "task") == ["Build a to-do app with local storage"]
    assert "Responsive design — mobile first" in titles(r, "subtopic")
    # Emoji are kept in titles but not in keys.
    assert [i.key for i in r.items if i.kind == "topic"][0] == "phase-1-html-css-basics"


def test_bold_pseudo_headings_with_lengths_and_a_project() -> None:
    r = sample("bold-pseudo.md")
    assert titles(r, "topic") == [
        "Stage 1: Statistics refresher (2 weeks)",
        "Stage 2: Experimentation (3 weeks)",
        "Stage 3: Causal inference (~1 month)",
    ]
    project = by_key(r)["project-analyse-a-past-experiment"]
    assert project.kind == "milestone" and "re-run the analysis" in project.body
    assert [i.title for i in r.items if i.parent_key == project.key] == [
        "A notebook with the analysis",
        "A one-page memo for the product team",
    ]


def test_nested_checklists_keep_their_nesting_and_state() -> None:
    r = sample("nested-checklists.md")
    items = by_key(r)
    lb = items["building-blocks/read-about-load-balancers"]
    assert lb.kind == "task" and lb.checked
    assert items["building-blocks/read-about-load-balancers/l4-versus-l7"].checked
    health = items["building-blocks/read-about-load-balancers/health-checks"]
    assert health.parent_key == lb.key and not health.checked
    assert [(t.timing.unit, t.timing.start, t.timing.length) for t in r.items if t.kind == "topic"] == [
        ("day", 0, 10),
        ("day", 10, 10),
        ("day", 20, 10),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phase 2: ML (Weeks 4-7)", ("week", 3, 4)),
        ("Week 3 - Trees", ("week", 2, 1)),
        ("Level 1: Foundation (0-6 months)", ("month", 0, 6)),
        ("Month 2", ("month", 1, 1)),
        ("Days 1-14: warm-up", ("day", 0, 14)),
        ("Basics (2 weeks)", ("week", None, 2)),
        ("Deep dive (~3 months)", ("month", None, 3)),
        ("Q2: ship it", ("month", 3, 3)),
        ("Week 1–2: setup", ("week", 0, 2)),
        ("Arrays (1-2 weeks)", ("week", None, 2)),
        ("Year 1", ("year", 0, 1)),
    ],
)
def test_duration_phrases(text: str, expected: tuple) -> None:  # type: ignore[type-arg]
    t = find_timing(text)
    assert t is not None and (t.unit, t.start, t.length) == expected


@pytest.mark.parametrize("text", ["Chapter 1", "Python 3 basics", "Top 10 tips", "HTTP/2 and gRPC"])
def test_no_duration_in_ordinary_titles(text: str) -> None:
    assert find_timing(text) is None


def test_months_follow_the_calendar() -> None:
    assert add_units(date(2026, 1, 31), "month", 1) == date(2026, 2, 28)
    assert add_units(date(2026, 1, 15), "month", 6) == date(2026, 7, 15)
    assert add_units(date(2026, 1, 15), "week", 2) == date(2026, 1, 29)


def test_repair_fixes_mojibake_and_line_ends() -> None:
    assert repair("\ufeffcaf\u00c3\u00a9\r\nDon\u00e2\u20ac\u2122t") == "café\nDon't"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Just a paragraph of prose about learning.\n\nAnother one.",
        "```\n# Phase 1 (Weeks 1-2)\n- [ ] task\n```\n",
        "# Only a title\n",
        "## Resources\n\n- [a link](https://example.org)\n",
    ],
    ids=["empty", "prose", "only-code", "only-title", "only-resources"],
)
def test_documents_without_structure_have_no_topics_milestones_or_tasks(text: str) -> None:
    r = parse_roadmap(text)
    assert not any(i.kind in ("topic", "milestone", "task") for i in r.items)


def test_keys_are_unique_even_with_repeated_titles() -> None:
    r = parse_roadmap("## Week 1\n\n- Practice\n- Practice\n\n## Week 2\n\n- Practice\n")
    keys = [i.key for i in r.items]
    assert len(keys) == len(set(keys))
    assert "week-1/practice-2" in keys


def test_a_level_with_a_goal_line_and_a_project_inside_stays_a_topic() -> None:
    # "**Goal:**" opens many phases and a project sub-section sits inside the level: neither
    # makes the level itself a milestone.
    r = sample("levels-goal-and-project.md")
    assert titles(r, "topic") == [
        "Level 1: Foundation (0-6 months)",
        "Level 2: Deep Learning & LLMs (6-12 months)",
        "Level 3: Production (12-24 months)",
    ]
    assert titles(r, "milestone") == ["Milestone Project: Churn predictor"]
    project = by_key(r)["level-1-foundation/milestone-project-churn-predictor"]
    assert project.parent_key == "level-1-foundation"
    subtopics = [i.title for i in r.items if i.kind == "subtopic" and i.parent_key == "level-1-foundation"]
    assert subtopics[0].startswith("Python")
    deliverables = {
        i.title: i.checked for i in r.items if i.parent_key == project.key and i.body == "Deliverables"
    }
    assert deliverables == {
        "GitHub repo with README": False,
        "Notebook with EDA": True,
        "Blog post write-up": False,
    }
    # the fenced block's "# comment" and "- [ ]" line are code, not structure
    assert not any("not a task" in i.title for i in r.items)


# --- patterns from learners' own roadmaps -------------------------------------------------------
def test_projects_written_as_block_quotes_are_milestones() -> None:
    r = sample("project-quotes.md")
    assert len(titles(r, "topic")) == 5
    assert titles(r, "milestone") == [
        "Project 1: Spam classifier",
        "Project 2: Digit recogniser",
        "Project 3: Tiny language model",
        "Project 4: Ask my notes",
        "Project 5: Ship it",
    ]
    items = by_key(r)
    spam = items["phase-1-python-and-ml-basics/project-1-spam-classifier"]
    assert spam.parent_key == "phase-1-python-and-ml-basics"
    assert spam.body == "Objective: Classify SMS messages as spam or not spam."
    # "**Core Steps:**" alone on its line labels the numbered list after it.
    assert [(i.body, i.title) for i in r.items if i.parent_key == spam.key] == [
        ("Steps", "Load and clean the message dataset"),
        ("Steps", "Build TF-IDF features"),
        ("Steps", "Train and compare two models"),
        ("Deliverables", "A notebook with a confusion matrix"),
    ]
    digits = [
        (i.body, i.title)
        for i in r.items
        if i.parent_key == "phase-2-deep-learning/project-2-digit-recogniser"
    ]
    assert digits == [
        ("Steps", "Write the training loop"),
        ("Steps", "Add data augmentation"),
        ("Deliverables", "Trained weights and a short report"),
    ]
    tiny = "phase-3-transformers/project-3-tiny-language-model"
    assert items[tiny].body.startswith("Objective: Train a character-level transformer")
    assert [i.title for i in r.items if i.parent_key == tiny] == [
        "Implement multi-head attention",
        "Train for an hour on a laptop",
        "Sample text at three temperatures",
    ]
    # A quote after the project belongs to the phase again; a quote of advice is not structure.
    assert items["phase-2-deep-learning/backpropagation-by-hand"].kind == "subtopic"
    assert not any("learning journal" in i.title or "paragraph a day" in i.title for i in r.items)
    assert r.warnings == []


@pytest.mark.parametrize(
    "quote",
    [
        "> **Pro tip**\n> - practise daily\n",  # advice with a bold first line
        "> Remember: consistency beats intensity.\n> - rest on Sundays\n",
        "> ### Aside\n> - not a topic\n",
    ],
)
def test_quotes_that_are_not_projects_stay_out_of_the_structure(quote: str) -> None:
    r = parse_roadmap(f"## Week 1: Arrays\n\n- Two pointers\n\n{quote}\n## Week 2: Trees\n\n- Traversals\n")
    assert titles(r, "topic") == ["Week 1: Arrays", "Week 2: Trees"]
    assert titles(r, "subtopic") == ["Two pointers", "Traversals"]
    assert r.warnings == []


def test_bold_markers_with_a_space_inside_are_read_as_bold() -> None:
    r = sample("bold-heading-spaces.md")
    assert titles(r, "topic") == [
        "Phase 1: Foundations (Weeks 1-2)",
        "Phase 2: Embeddings (Weeks 3-4)",
        "Phase 3: Fine-tuning (Weeks 5-6)",
        "Phase 4: RAG",
        "Phase 5: Agents (Weeks 9-10)",
    ]
    assert not any("*" in i.title for i in r.items)
    items = by_key(r)
    assert items["phase-4-rag"].timing is None
    assert items["phase-5-agents"].timing.start == 8  # type: ignore[union-attr]
    project = items["phase-4-rag/project-chat-with-my-docs"]
    assert project.kind == "milestone"
    assert [(i.body, i.title) for i in r.items if i.parent_key == project.key] == [
        ("Deliverables", "A demo that cites its sources")
    ]


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("**kwargs are passed through", "**kwargs are passed through"),  # not bold at all
        ("**kwargs and **extra options", "**kwargs and **extra options"),
    ],
)
def test_literal_asterisks_that_are_not_loose_bold_stay(line: str, text: str) -> None:
    r = parse_roadmap(f"## Week 1: Python\n\n- {line}\n\n## Week 2: More\n\n- x\n")
    assert text in titles(r, "subtopic")


def test_alternative_paths_run_side_by_side_and_record_their_path() -> None:
    r = sample("alternative-paths.md")
    topics = [i for i in r.items if i.kind == "topic"]
    starts = [(t.path, t.title.split(":")[0], t.timing.start) for t in topics]  # type: ignore[union-attr]
    assert starts == [
        ("path-a-research-scientist", "Level 1", 0),
        ("path-a-research-scientist", "Level 2", 6),
        ("path-a-research-scientist", "Level 3", 12),
        ("path-b-ml-engineer", "Level 1", 0),
        ("path-b-ml-engineer", "Level 2", 6),
        ("path-b-ml-engineer", "Level 3", 12),
    ]
    items = by_key(r)
    # A length with no position starts where its own path is, not after the other path.
    capstone = items["path-b-ml-engineer/capstone"]
    assert (capstone.kind, capstone.timing.unit, capstone.timing.start) == ("milestone", "month", 18)  # type: ignore[union-attr]
    assert capstone.path_title == "Path B: ML Engineer"
    assert items["path-a-research-scientist/level-1-foundations/reading-one-paper-a-week"].path == (
        "path-a-research-scientist"
    )
    assert items["paper-reading-guide"].path is None  # after the paths, shared by both


def test_alternative_paths_get_the_same_dates_on_import() -> None:
    r = sample("alternative-paths.md")
    dates = _dates(r, date(2026, 1, 1))
    a = dates["path-a-research-scientist/level-2-specialisation"]
    b = dates["path-b-ml-engineer/level-2-production-systems"]
    assert a[0] == b[0] == (date(2026, 7, 1) - date(2026, 1, 1)).days


@pytest.mark.parametrize(
    ("titles_", "paths"),
    [
        (["Option 1: Frontend", "Option 2: Backend"], True),
        (["Research Track", "Applied Track"], True),
        (["Path A — theory", "Path B — practice"], True),
        (["Track 1: Basics (Weeks 1-4)", "Track 2: Advanced (Weeks 5-8)"], False),  # dated: a sequence
        (["Part 1", "Part 2"], False),
        (["Path A: alone", "Resources"], False),  # one path is no choice
    ],
)
def test_which_sibling_sections_are_alternative_paths(titles_: list[str], paths: bool) -> None:
    doc = "".join(
        f"## {t}\n\n### Stage 1 (0-3 months)\n\n- a\n\n### Stage 2 (3-6 months)\n\n- b\n\n" for t in titles_
    )
    r = parse_roadmap(doc)
    recorded = {i.path for i in r.items if i.kind == "topic"}
    assert (recorded != {None}) == paths


def test_reading_lists_under_a_resource_section_are_resources() -> None:
    r = sample("resource-lists.md")
    assert titles(r, "topic") == ["Phase 1: Statistics (Weeks 1-4)", "Phase 2: Machine learning (Weeks 5-10)"]
    assert titles(r, "subtopic") == [
        "Descriptive statistics",
        "Probability and distributions",
        "Regression and classification",
        "Trees and ensembles",
    ]
    assert titles(r, "resource") == [
        "Andrew Ng's Machine Learning Specialization (Coursera)",
        "fast.ai Practical Deep Learning for Coders",
        "Kaggle competitions and notebooks",
        "LeetCode SQL 50",
        "The Elements of Statistical Learning",
        "Hands-On Machine Learning by Aurelien Geron",
        "PyData talks on YouTube",
        "The local ML meetup",
        "Data Skeptic",
        "Practical AI",
        "The Batch",
    ]


@pytest.mark.parametrize(
    ("title", "resource"),
    [
        ("Online Courses", True),
        ("Practice Platforms", True),
        ("Conferences & Communities", True),
        ("Books to read", True),
        ("Reading list", True),
        ("Learning Resources & Where to Practice", True),
        ("Courses, platforms and podcasts", True),
        ("Tools Setup", False),
        ("Tools (Weeks 3-4)", False),
        ("Phase 5: Documentation", False),
        ("Learning path overview", False),
    ],
)
def test_resource_section_titles(title: str, resource: bool) -> None:
    r = parse_roadmap(f"## Week 1: Basics\n\n- a\n\n## {title}\n\n- Something to study\n- Another thing\n")
    assert ("Something to study" in titles(r, "resource")) == resource

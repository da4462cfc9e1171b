"""A small knowledge base for the answer tests, indexed with the bag-of-words test encoder."""

from __future__ import annotations

from pathlib import Path

from study_tracker.config import Settings
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from tests.knowledge.kb_helpers import WordHashEncoder, kb_settings

NOTES = {
    "storage.md": "# Storage engines\n\n## LSM trees\n\n"
    "An LSM tree turns random writes into sequential writes. A write goes to a commit log and to an "
    "in-memory memtable. When the memtable fills, it is flushed to disk as a sorted SSTable file.\n\n"
    "```\nwrite -> memtable -> SSTable\n```\n\n"
    "## B-trees\n\nA B-tree updates pages in place. Reads need few page visits, e.g. three or four for "
    "a large table.\n",
    "ml.md": "# Training\n\n## Dropout\n\nDropout randomly zeroes activations during training. It stops "
    "units from co-adapting, which reduces overfitting. At test time dropout is switched off.\n\n"
    "## Evaluation\n\n- Hold out a validation set that the model never trains on.\n"
    "- Report precision and recall, not only accuracy, when classes are imbalanced.\n",
}

# The bag-of-words encoder gives cosines near 0 for questions sharing no word with the notes and
# 0.3-0.6 for questions about them, so this plays the role of the calibrated threshold.
TEST_MIN_SCORE = 0.2


def make_notes(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in NOTES.items():
        (folder / name).write_text(text)
    return folder


def answer_kb(root: Path, **overrides: object) -> tuple[Settings, KnowledgeBase, Path]:
    """Settings, an opened knowledge base over ``NOTES`` and the notes folder."""
    notes = make_notes(root / "notes")
    s = kb_settings(root, ask_min_score=TEST_MIN_SCORE, **overrides)
    ingest_paths([notes], settings=s, encoder=WordHashEncoder())
    return s, KnowledgeBase.open(s, encoder=WordHashEncoder()), notes

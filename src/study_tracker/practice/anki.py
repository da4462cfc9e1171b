"""An Anki deck (``.apkg``) of a track's practice questions: the prompt on the front, its key
points on the back, one note per question, tagged with the track, the topic's day and its skills.

Model and deck ids are derived from the track's slug, so importing a newer deck into Anki updates
the same notes (each note's GUID comes from the question's place in the track) instead of adding
copies.
"""

from __future__ import annotations

import hashlib
import html
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from study_tracker.content.curriculum import GROUPS, Track, load_tracks, tracks_in_group
from study_tracker.errors import NotFound

if TYPE_CHECKING:
    import genanki

_CSS = ".card { font-family: sans-serif; font-size: 18px; text-align: left; } ul { margin: .3em 0; }"


def _id(text: str) -> int:
    # Anki ids are 31-bit-positive integers; a hash keeps them stable across exports.
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) & 0x7FFFFFFF or 1


@lru_cache(maxsize=1)
def _model() -> Any:
    # genanki takes ~0.2 s to import: only an export loads it, never `study today` or the app.
    import genanki

    return genanki.Model(
        _id("study-tracker:question-model"),
        "study-tracker question",
        fields=[{"name": "Prompt"}, {"name": "KeyPoints"}, {"name": "Topic"}],
        templates=[
            {
                "name": "Question",
                "qfmt": "<div class='topic'>{{Topic}}</div><p>{{Prompt}}</p>",
                "afmt": "{{FrontSide}}<hr id='answer'>{{KeyPoints}}",
            }
        ],
        css=_CSS,
    )


def build_package(tracks: Sequence[Track]) -> genanki.Package:
    """One deck per track (``study-tracker::<Track title>``), every question a note."""
    import genanki

    decks = []
    for track in tracks:
        deck = genanki.Deck(_id(f"study-tracker:deck:{track.slug}"), f"study-tracker::{track.title}")
        for topic in track.days:
            for index, q in enumerate(topic.questions):
                back = "<ul>" + "".join(f"<li>{html.escape(p)}</li>" for p in q.key_points) + "</ul>"
                tags = [track.slug, f"day-{topic.day}", q.type.value, *(topic.question_skills(q))]
                deck.add_note(
                    genanki.Note(
                        model=_model(),
                        fields=[
                            html.escape(q.prompt),
                            back,
                            html.escape(f"{track.title} · Day {topic.day}: {topic.title}"),
                        ],
                        tags=[t.replace(" ", "_") for t in tags],
                        guid=genanki.guid_for(track.slug, topic.day, index),
                    )
                )
        decks.append(deck)
    return genanki.Package(decks)


def write_apkg(path: Path, tracks: Sequence[Track]) -> int:
    """Write the deck of ``tracks`` to ``path``; returns the number of notes."""
    build_package(tracks).write_to_file(str(path))
    return sum(len(t.questions) for track in tracks for t in track.days)


def deck_bytes(*, track: str | None, group: str | None) -> tuple[bytes, str]:
    """The .apkg of one track, or of every track of a group; (bytes, a file name).

    Raises:
        NotFound: an unknown track or group, or neither given.
    """
    if track is not None:
        found = load_tracks().get(track)
        if found is None:
            raise NotFound(f"unknown track {track!r}")
        tracks, name = [found], track
    elif group is not None:
        if group not in GROUPS:
            raise NotFound(f"unknown group {group!r}; groups are {', '.join(GROUPS)}")
        tracks, name = tracks_in_group(group), group
    else:
        raise NotFound("name a track or a group")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "deck.apkg"
        write_apkg(path, tracks)
        return path.read_bytes(), f"study-tracker-{name}.apkg"

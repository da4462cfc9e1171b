"""``study collect``: gather discussion material from the web into the knowledge folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from study_tracker.cli.app import app
from study_tracker.cli.errors import fail, print_error
from study_tracker.cli.output import console
from study_tracker.config import Settings, get_settings
from study_tracker.knowledge.collect.reddit import collect_subreddit
from study_tracker.knowledge.ingest.pipeline import ingest_paths

collect_app = typer.Typer(
    name="collect", help="Collect discussion material (Reddit) for the knowledge base.", no_args_is_help=True
)
app.add_typer(collect_app)


@collect_app.command("reddit")
def reddit(
    *,
    subreddit: Annotated[
        str, typer.Option("--subreddit", "-s", help="Subreddit name, e.g. MachineLearning.")
    ],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many posts to fetch.")] = 100,
    sort: Annotated[str, typer.Option(help="Listing: new, hot, top, rising or controversial.")] = "new",
    time_filter: Annotated[
        str, typer.Option("--time-filter", help="For top/controversial: all, day, hour, month, week, year.")
    ] = "all",
    more_comments: Annotated[
        int | None,
        typer.Option(
            "--more-comments",
            min=-1,
            help="'Load more comments' expansions per post (one request each; -1 all). "
            "Default: STUDY_REDDIT_MORE_COMMENTS.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            dir_okay=False,
            help="Output NDJSON file; default <knowledge dir>/collected/reddit/<subreddit>-<time>.ndjson.",
        ),
    ] = None,
    ingest: Annotated[
        bool, typer.Option("--ingest", help="Ingest the file into the knowledge base afterwards.")
    ] = False,
) -> None:
    """Fetch posts and their comments from a subreddit through the Reddit API into an NDJSON file.

    Needs a Reddit app: set STUDY_REDDIT_CLIENT_ID and STUDY_REDDIT_CLIENT_SECRET.
    Honours Reddit's rate-limit headers and backs off on 429 and 5xx answers.
    """

    settings = get_settings()
    result = collect_subreddit(
        settings=settings,
        subreddit=subreddit,
        limit=limit,
        out=out,
        sort=sort,
        time_filter=time_filter,
        more_comments=more_comments,
    )

    console.print(
        f"Wrote {result.submissions} posts and {result.comments} comments to [bold]{result.path}[/]"
        + (f" ({result.requests_retried} retried after 429/5xx)" if result.requests_retried else "")
    )
    if result.error is not None:
        raise fail(f"stopped early: {result.error} The file holds what was fetched before.")
    if ingest:
        _ingest(result.path, settings)


def _ingest(path: Path, settings: Settings) -> None:
    report = ingest_paths([path], settings=settings)
    if report.skipped:
        for skipped_path, reason in report.skipped:
            print_error(f"{skipped_path}: {reason}")
        raise typer.Exit(1)
    console.print(f"Ingested {path.name}: {report.chunks_total} chunks in the knowledge base.")

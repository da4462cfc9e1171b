"""``study mcp``: serve the knowledge base and the tracker to MCP clients (stdio)."""

from __future__ import annotations

import logging
import sys

from study_tracker.cli.app import app
from study_tracker.config import get_settings
from study_tracker.mcp.server import serve_stdio


@app.command()
def mcp() -> None:
    """Run the MCP server on stdin/stdout (for Claude Desktop, IDEs and other MCP clients).

    Tools: search, ask, due_today, log_completion, log_review, add_source. Settings come from the
    STUDY_* environment (STUDY_DATA_DIR...). Logs go to stderr: stdout carries only the protocol.
    """
    settings = get_settings()
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(settings.log_level.upper())  # libraries that lower their own loggers' level stay quiet
    logging.basicConfig(
        handlers=[handler],
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin otherwise
    serve_stdio(settings)

"""The MCP server over stdio: the tools of ``tools.py`` with the official SDK's low-level server.

The low-level server rather than the decorator API so that the inputs are the pydantic models of
``schemas.py`` (their JSON schema is what clients see) and every failure becomes a tool error
with a plain sentence: a refused field names the field (``errors.invalid``), a ``StudyError``
gives its message, anything else is logged to stderr and reported without a traceback.

stdout carries the protocol only: the SDK points file descriptor 1 at stderr while it serves,
so a stray print or a library's progress bar cannot corrupt the stream; logs go to stderr.
The SDK is imported inside the functions that start the server (it takes seconds to import).
"""

from __future__ import annotations

import json
import logging
from importlib import metadata
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from study_tracker.config import Settings
from study_tracker.errors import StudyError, invalid
from study_tracker.mcp.tools import TOOLS, Toolbox

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server

log = logging.getLogger(__name__)

NAME = "study-tracker"
INSTRUCTIONS = (
    "The user's study companion: search and ask their own knowledge base (answers cite passages "
    "by file, heading and offsets), see the reviews and topics due today, log completed topics "
    "and reviews, and add files or folders to the knowledge base."
)
_BY_NAME = {spec.name: spec for spec in TOOLS}


def call(toolbox: Toolbox, name: str, arguments: dict[str, Any] | None) -> tuple[dict[str, Any] | None, str]:
    """Run one tool: ``(result, "")``, or ``(None, message)`` for a tool error.

    Runs in a worker thread (tools read indexes, embed, write the database).
    """
    spec = _BY_NAME.get(name)
    if spec is None:
        return None, f"Unknown tool {name!r}; the tools are {', '.join(_BY_NAME)}."
    try:
        args = spec.input.model_validate(arguments or {})
    except ValidationError as exc:
        return None, invalid(exc).message.replace("Input should be", "must be")
    try:
        return spec.run(toolbox, args), ""
    except StudyError as exc:
        return None, exc.message
    except Exception:  # noqa: BLE001 - the client gets a sentence, the log the traceback
        log.exception("MCP tool %s failed", name)
        return None, f"{name} failed with an internal error; the server's log (stderr) has the details."


def _version() -> str:
    try:
        return metadata.version("study-tracker")
    except metadata.PackageNotFoundError:
        return "0"


def build_server(toolbox: Toolbox) -> Server:
    """The SDK server listing ``TOOLS`` and running them with ``toolbox``."""
    import anyio.to_thread
    from mcp.server.lowlevel import Server

    from mcp import types

    tools = [
        types.Tool(
            name=spec.name,
            description=spec.description,
            input_schema=spec.input.model_json_schema(),
            annotations=types.ToolAnnotations(
                read_only_hint=spec.read_only, destructive_hint=False, open_world_hint=False
            ),
        )
        for spec in TOOLS
    ]

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        result, error = await anyio.to_thread.run_sync(call, toolbox, params.name, params.arguments)
        if result is None:
            return types.CallToolResult(content=[types.TextContent(type="text", text=error)], is_error=True)
        text = json.dumps(result, ensure_ascii=False)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)], structured_content=result
        )

    return Server(
        NAME,
        version=_version(),
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def serve_stdio(settings: Settings) -> None:
    """Serve the tools over stdin/stdout until the client closes the stream."""
    import anyio
    from mcp.server.stdio import stdio_server

    server = build_server(Toolbox(settings))

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    log.info("study-tracker MCP server on stdio (data: %s)", settings.data_dir)
    anyio.run(main)

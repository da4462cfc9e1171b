"""The two consoles every command prints to: results on stdout; errors, warnings and progress on stderr.

Rich looks up ``sys.stdout``/``sys.stderr`` on each write, so a test runner that swaps them (Typer's
``CliRunner``) captures what these print.
"""

from __future__ import annotations

from rich.console import Console

console = Console()
err = Console(stderr=True)

"""Messages shown after a redirect ("Saved", "Undid review of ... day 3") travel in the signed session
cookie, never in the URL: a link that carries ``?message=...`` cannot make the app show its text.

The cookie is Starlette's ``SessionMiddleware`` (signed with itsdangerous); its key is generated once
and kept in the data folder (``session.key``, readable by its owner only), so sessions survive a
restart. The login of ``auth.py`` keeps its session id in the same cookie.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import Secret
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from study_tracker.web.rendering import see_other

log = logging.getLogger(__name__)

KEY_FILE = "session.key"
COOKIE = "study_session"
_FLASH = "flash"
# A message is a sentence for a banner; anything longer is cut so the cookie stays small (< 4 KB).
MAX_MESSAGE = 500


def session_key(data_dir: Path) -> str:
    """The data folder's session key, created (owner-only) on first use; two processes starting at
    once agree on one. A folder that cannot be written gets a key for this process only (sessions
    then end with it), so a read-only data folder still serves its pages and says what is wrong."""
    path = data_dir / KEY_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("cannot read %s (%s): sessions last until the server stops", path, exc)
        return secrets.token_urlsafe(32)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(32))
        try:
            os.link(tmp, path)  # atomic and refuses to replace: the first process's key wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return path.read_text(encoding="ascii").strip()
    except OSError as exc:
        log.warning("cannot write %s (%s): sessions last until the server stops", path, exc)
        return secrets.token_urlsafe(32)


class LazyKey(Secret):
    """The session key, read when the app first starts (Starlette builds its middleware then), not when
    the app object is created: creating an app never touches the data folder."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__("")
        self.data_dir = data_dir

    def __str__(self) -> str:
        return session_key(self.data_dir)


class SecureOverHttps:
    """ASGI middleware: marks the session cookie ``Secure`` on a request that came over https (directly
    or through a proxy uvicorn trusts), so it is never sent back over plain http."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [(name, _secure(name, value)) for name, value in message["headers"]]
            await send(message)

        await self.app(scope, receive, send_secure)


def _secure(name: bytes, value: bytes) -> bytes:
    if name != b"set-cookie" or not value.startswith(COOKIE.encode() + b"="):
        return value
    flags = [part.strip().lower() for part in value.split(b";")[1:]]
    return value if b"secure" in flags else value + b"; secure"


def flash(request: Request, message: str) -> None:
    """Show ``message`` on the next page this browser loads."""
    request.session[_FLASH] = message[:MAX_MESSAGE]


def pop_flash(request: Request) -> str | None:
    """The message left by the last redirect, once (None when there is none)."""
    message = request.session.pop(_FLASH, None)
    return message if isinstance(message, str) else None


def see_other_with(request: Request, url: str, message: str) -> RedirectResponse:
    """Redirect to ``url`` (a GET) and show ``message`` there."""
    flash(request, message)
    return see_other(url)

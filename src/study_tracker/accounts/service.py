"""Passwords (argon2id), browser sessions and API tokens.

Passwords are hashed with argon2 (argon2-cffi, its recommended parameters). Session and API tokens
are 256-bit random strings, so one SHA-256 is enough to store them: nobody can guess one from its
hash, and checking one costs microseconds on every request.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from study_tracker.config import Settings
from study_tracker.db.models import ApiToken, User, WebSession
from study_tracker.errors import Conflict, InvalidInput, NotFound, NotSignedIn

DEFAULT_USER = "admin"
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; a cap keeps a login request cheap
SESSION_DAYS = 14
MAX_NAME = 64

_HASHER = PasswordHasher()


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    name: str


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or name the server listens on) is reachable from this computer only."""
    name = host.strip().lower().strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def login_required(settings: Settings) -> bool:
    """Off loopback means a login: the server listens where other computers can reach it."""
    return not is_loopback(settings.host)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_name(field: str, name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise InvalidInput.field(field, f"must be 1 to {MAX_NAME} printable characters")
    return name


def has_password(session: Session) -> bool:
    """Whether anyone can sign in (a password was set with `study auth set-password`)."""
    return bool(session.scalar(select(func.count()).select_from(User)))


def set_password(*, session: Session, name: str = DEFAULT_USER, password: str, now: datetime) -> User:
    """Set ``name``'s password (creating the user), and end every session of that user.

    Raises:
        InvalidInput: the name or the password (shorter than ``MIN_PASSWORD``) is refused.
    """
    name = _check_name("name", name)
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput.field("password", f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long")
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        user = User(name=name, password_hash="", created_at=now)
        session.add(user)
    user.password_hash = _HASHER.hash(password)
    session.flush()
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


def sign_in(*, session: Session, name: str, password: str, now: datetime) -> str:
    """Check ``name`` and ``password``; returns a new session token for the browser's cookie.

    Raises:
        NotSignedIn: the name or the password is wrong (one message for both).
    """
    user = session.scalar(select(User).where(User.name == name.strip()))
    wrong = NotSignedIn("wrong name or password")
    if user is None or len(password) > MAX_PASSWORD:
        _HASHER.hash("spend the same time as a real check")  # no hint that the name is unknown
        raise wrong
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise wrong from None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(days=SESSION_DAYS),
        )
    )
    session.execute(delete(WebSession).where(WebSession.expires_at < now))  # keep the table small
    return token


def session_user(*, session: Session, token: str, now: datetime) -> SignedIn | None:
    """Who a browser session token belongs to; None when unknown or expired."""
    row = session.execute(
        select(User.id, User.name)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.token_hash == _digest(token), WebSession.expires_at > now)
    ).first()
    return SignedIn(row[0], row[1]) if row else None


def sign_out(*, session: Session, token: str) -> None:
    """End the browser session of ``token`` (nothing happens for an unknown one)."""
    session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def create_token(*, session: Session, name: str, now: datetime, user: str = DEFAULT_USER) -> str:
    """A new API token called ``name``; returns the token, which is stored only as its hash.

    Raises:
        NotFound: no password was set yet (there is no user to act for).
        Conflict: a token of that name exists.
    """
    name = _check_name("name", name)
    owner = session.scalar(select(User).where(User.name == user))
    if owner is None:
        raise NotFound("set a password first: study auth set-password")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise Conflict(f"a token named {name!r} exists: revoke it first or choose another name")
    token = "st_" + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=_digest(token), user_id=owner.id, created_at=now))
    return token


def token_user(*, session: Session, token: str, now: datetime) -> SignedIn | None:
    """Who an API token acts for (its last use is recorded); None when unknown or revoked."""
    row = session.execute(
        select(ApiToken, User.name)
        .join(User, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    row[0].last_used_at = now
    return SignedIn(row[0].user_id, row[1])


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke_token(*, session: Session, name: str) -> None:
    """Delete the API token called ``name``.

    Raises:
        NotFound: there is none.
    """
    if not session.execute(delete(ApiToken).where(ApiToken.name == name)).rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"no token named {name!r}")

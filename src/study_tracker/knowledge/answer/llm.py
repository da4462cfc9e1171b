"""A small client for any OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp server,
vLLM, LM Studio, OpenAI), with and without streaming (server-sent events).

The API key is read from the environment variable *named* by the ``llm_api_key_env`` setting at
the moment of each request; it is never stored on the config object, so it cannot leak through a
repr, a log line or an error message.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from study_tracker.config import Settings
from study_tracker.errors import FieldError, InvalidInput, KnowledgeError

log = logging.getLogger(__name__)

Message = dict[str, str]
_RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class LLMNotConfigured(KnowledgeError, InvalidInput):
    """An LLM answer was asked for but no endpoint is set (``llm_base_url``): the request's fault."""

    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message, [FieldError("llm", message)])


class LLMError(KnowledgeError):
    """The LLM endpoint failed (down, slow, an error status, malformed reply, a cut stream).

    ``str(error)`` is a plain sentence naming the endpoint and what went wrong, never the key.
    """


@dataclass(frozen=True)
class LLMConfig:
    """Where and how to call the LLM. Holds the *name* of the key's environment variable only."""

    base_url: str
    model: str
    api_key_env: str = "STUDY_LLM_API_KEY"
    timeout_s: float = 30.0
    retries: int = 1
    temperature: float = 0.2
    max_tokens: int = 600
    backoff_s: float = 0.5

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMConfig | None:
        """The configured endpoint, or None when ``llm_base_url`` is empty."""
        if not settings.llm_base_url.strip():
            return None
        return cls(
            base_url=settings.llm_base_url.strip(),
            model=settings.llm_model,
            api_key_env=settings.llm_api_key_env,
            timeout_s=settings.llm_timeout_s,
            retries=settings.llm_retries,
            temperature=settings.llm_temperature,
            max_tokens=settings.llm_max_tokens,
        )

    @property
    def url(self) -> str:
        """The chat-completions URL: ``<base>/chat/completions``; a bare host gets ``/v1`` first."""
        base = self.base_url.rstrip("/")
        if base.endswith("/chat/completions"):
            return base
        if urlsplit(base).path in ("", "/"):
            base += "/v1"
        return base + "/chat/completions"

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        key = os.environ.get(self.api_key_env, "") if self.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def payload(self, messages: Sequence[Message], *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "temperature": self.temperature,
            "stream": stream,
        }
        if self.max_tokens:
            body["max_tokens"] = self.max_tokens
        return body


def _describe(exc: Exception, config: LLMConfig) -> str:
    """A plain sentence for a transport error (httpx messages can be empty or cryptic)."""
    if isinstance(exc, httpx.TimeoutException):
        return f"no reply within {config.timeout_s:g} s (timeout)"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect (is the server running?)"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection closed in the middle of the reply"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _fail(config: LLMConfig, what: str) -> LLMError:
    return LLMError(f"The LLM at {config.url} failed: {what}.")


def _status_error(response: httpx.Response, config: LLMConfig) -> LLMError:
    try:
        detail = response.read().decode("utf-8", "replace").strip()
    except httpx.HTTPError:
        detail = ""
    detail = " ".join(detail.split())[:200]
    return _fail(config, f"HTTP {response.status_code}" + (f" ({detail})" if detail else ""))


def _content(body: Any, config: LLMConfig) -> str:
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise _fail(config, "the reply has no choices[0].message.content") from None
    if not isinstance(content, str):
        raise _fail(config, "the reply's message content is not text")
    return content


def _attempts(config: LLMConfig) -> Iterator[int]:
    for attempt in range(config.retries + 1):
        if attempt:
            time.sleep(config.backoff_s * 2 ** (attempt - 1))
        yield attempt


def chat(config: LLMConfig, messages: Sequence[Message], *, client: httpx.Client | None = None) -> str:
    """The reply to ``messages`` (no streaming). Retries connection errors, timeouts, 429 and 5xx.

    Raises:
        LLMError: every attempt failed, or the reply is not a chat completion.
    """
    last: LLMError | None = None
    with _client(config, client) as http:
        for _ in _attempts(config):
            try:
                response = http.post(
                    config.url, json=config.payload(messages, stream=False), headers=config.headers()
                )
            except httpx.HTTPError as exc:
                last = _fail(config, _describe(exc, config))
                continue
            if response.status_code in _RETRY_STATUS:
                last = _status_error(response, config)
                continue
            if response.status_code >= 400:
                raise _status_error(response, config)
            try:
                return _content(response.json(), config)
            except ValueError:
                raise _fail(config, "the reply is not valid JSON") from None
    assert last is not None
    raise last


def stream_chat(
    config: LLMConfig, messages: Sequence[Message], *, client: httpx.Client | None = None
) -> Iterator[str]:
    """The reply to ``messages`` as it arrives, piece by piece (SSE ``data:`` chunks).

    Failures before the first piece are retried like :func:`chat`; once text has been yielded a
    failure is raised (a retry would repeat what the caller already showed).

    Raises:
        LLMError: the endpoint failed, sent malformed JSON, or the stream stopped before its end.
    """
    last: LLMError | None = None
    with _client(config, client) as http:
        for _ in _attempts(config):
            started = False
            try:
                with http.stream(
                    "POST", config.url, json=config.payload(messages, stream=True), headers=config.headers()
                ) as response:
                    if response.status_code in _RETRY_STATUS:
                        last = _status_error(response, config)
                        continue
                    if response.status_code >= 400:
                        raise _status_error(response, config)
                    if "text/event-stream" not in response.headers.get("content-type", ""):
                        # Some servers ignore "stream": true and answer with one JSON body.
                        try:
                            body = json.loads(response.read())
                        except ValueError:
                            raise _fail(config, "the reply is not valid JSON") from None
                        yield _content(body, config)
                        return
                    for piece in _sse_pieces(response, config):
                        started = True
                        yield piece
                    return
            except httpx.HTTPError as exc:
                last = _fail(config, _describe(exc, config))
                if started:
                    raise last from None
    assert last is not None
    raise last


def _sse_pieces(response: httpx.Response, config: LLMConfig) -> Iterator[str]:
    """Text pieces of an SSE chat-completions stream; raises if it ends without ``[DONE]``."""
    finished = False
    for line in response.iter_lines():
        if not line.startswith("data:"):
            continue  # comments (": keep-alive"), event names, blank separators
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            chunk = json.loads(data)
        except ValueError:
            raise _fail(config, "a streamed chunk is not valid JSON") from None
        if isinstance(chunk, dict) and "error" in chunk:
            raise _fail(config, f"the server reported an error mid-stream ({str(chunk['error'])[:200]})")
        try:
            choice = chunk["choices"][0] if chunk["choices"] else {}
        except (KeyError, TypeError):
            raise _fail(config, "a streamed chunk has no choices") from None
        piece = (choice.get("delta") or {}).get("content") or ""
        if piece:
            yield piece
        finished = finished or bool(choice.get("finish_reason"))
    if not finished:
        raise _fail(config, "the stream stopped before the answer was complete")


class _client:
    """Use the caller's httpx client, or open (and close) one with the configured timeout."""

    def __init__(self, config: LLMConfig, client: httpx.Client | None) -> None:
        self.given = client
        self.config = config
        self.own: httpx.Client | None = None

    def __enter__(self) -> httpx.Client:
        if self.given is not None:
            return self.given
        self.own = httpx.Client(timeout=httpx.Timeout(self.config.timeout_s), trust_env=False)
        return self.own

    def __exit__(self, *exc: object) -> None:
        if self.own is not None:
            self.own.close()

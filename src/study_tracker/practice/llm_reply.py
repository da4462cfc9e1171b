"""One JSON object out of an LLM's reply, checked against a schema: the shared first step of the
LLM grader and the LLM question generator. An unusable reply raises ``ReplyError`` with a few
words on why; each caller then falls back to its offline path with that notice."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

# Replies that decline the task rather than do it.
REFUSAL = re.compile(r"^\W*(i'?m sorry|sorry|i can(no|')t|i cannot|i am unable|i'm unable|as an ai)\b", re.I)


class ReplyError(ValueError):
    """The LLM's reply cannot be used; ``str()`` says why in a few words."""


@functools.cache
def _validator(schema_json: str) -> Any:
    # jsonschema takes ~0.1 s to import: only when an LLM is asked, never at `study today`.
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(schema_json))


def json_reply(reply: str, schema: dict[str, Any], *, max_chars: int, task: str) -> Any:
    """The reply's JSON object (text around it is ignored), valid against ``schema``.

    Raises:
        ReplyError: an empty or overlong reply, a refusal ("the LLM declined to ``task``"), no
            JSON object, invalid JSON or a schema mismatch (the first one, with its path).
    """
    body = reply.strip()
    if not body:
        raise ReplyError("the reply was empty")
    if len(body) > max_chars:
        raise ReplyError(f"the reply was longer than {max_chars:,} characters")
    start, end = body.find("{"), body.rfind("}")
    if start < 0:
        if REFUSAL.search(body):
            raise ReplyError(f"the LLM declined to {task} ({' '.join(body.split())[:120]!r})")
        raise ReplyError("the reply had no JSON object")
    try:
        data = json.loads(body[start : end + 1] if end > start else body[start:])
    except json.JSONDecodeError as exc:
        raise ReplyError(f"the reply was not valid JSON ({exc.msg} at character {exc.pos})") from None
    validator = _validator(json.dumps(schema, sort_keys=True))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "the reply"
        raise ReplyError(f"the reply did not match the schema ({where}: {first.message[:160]})")
    return data

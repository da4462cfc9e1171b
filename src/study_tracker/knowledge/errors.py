"""Named errors of the knowledge engine; the CLI and the web map them to messages and status codes."""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base class: a problem the user can act on; ``str(error)`` is a plain sentence."""


class IndexNotBuilt(KnowledgeError):
    """No index has been written yet in the knowledge folder."""


class EncoderNotReady(KnowledgeError):
    """The ONNX query encoder is not exported yet and this process may not export it (the server)."""


class IndexMismatch(KnowledgeError):
    """The index on disk was built with another embedding model or chunker version."""


class ModelNotFound(KnowledgeError):
    """The embedding model folder is missing or incomplete."""


class SourceNotFound(KnowledgeError):
    """A path named for ingest or removal does not exist or was never ingested."""


class IngestBusy(KnowledgeError):
    """Another ingest holds the knowledge folder's lock."""


class InvalidQuery(KnowledgeError):
    """A search request has a bad mode, k or filter (the message names the field)."""

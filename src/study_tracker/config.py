"""Settings: the one place every option is defined, read from ``STUDY_*`` environment variables.

Every field has a default and a description; ``tests/test_docs.py`` checks each is documented
in the README.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDY_", env_file=".env", extra="ignore")

    # --- core ---
    data_dir: Path = Field(
        Path("data"),
        description="Folder holding the SQLite database, per-group config.json files, backups and indexes.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL; empty means SQLite at <data_dir>/study.db. PostgreSQL: postgresql+psycopg://...",
    )
    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(5555, description="Port the web server listens on.")
    timezone: str = Field(
        "",
        description="IANA time zone that decides where a day starts (e.g. Europe/Paris); empty uses the system's.",
    )
    today: date | None = Field(
        None,
        description="Pretend today is this date (YYYY-MM-DD): for tests, demos, and catching up after a break.",
    )
    log_level: str = Field("INFO", description="Logging level for the server and CLI.")
    index_on_start: bool = Field(
        True,
        description="Index the bundled study guides in the background when the server starts (if not yet done).",
    )

    # --- knowledge (search, ingest) ---
    knowledge_dir: Path | None = Field(
        None,
        description="Folder of the knowledge indexes and embedding cache; empty means <data_dir>/knowledge.",
    )
    embedding_model: str = Field(
        "",
        description="Path of a sentence-transformers model folder; empty uses the packaged all-MiniLM-L6-v2.",
    )
    # ingest, chunking, embedding, index (core engine)
    knowledge_max_file_mb: float = Field(
        50.0,
        ge=0,
        description="Largest Markdown/text/HTML/PDF/JSON file read at ingest, in MB; bigger ones are skipped "
        "with the reason. JSONL/NDJSON (and .zst) are streamed and have no limit. 0 means no limit.",
    )
    knowledge_json_text_field: str = Field(
        "text", description="Field of a JSON/JSONL record that holds the text (dotted for nested: data.body)."
    )
    knowledge_json_id_field: str = Field(
        "id", description="Field of a JSON/JSONL record that holds its id (with 'id', '_id' is tried too)."
    )
    knowledge_json_title_field: str = Field(
        "title", description="Field of a JSON/JSONL record that holds its title."
    )
    knowledge_chunk_tokens: int = Field(
        256,
        ge=32,
        description="Largest chunk in tokens of the model's tokenizer, heading path included; capped at the "
        "model's own window (256 for all-MiniLM-L6-v2).",
    )
    knowledge_chunk_overlap: int = Field(
        0, ge=0, description="Tokens of a chunk repeated at the start of the next chunk of the same section."
    )
    knowledge_embed_backend: Literal["torch", "onnx"] = Field(
        "torch",
        description="What embeds chunks at ingest: torch (sentence-transformers) or onnx (the exported model).",
    )
    knowledge_query_backend: Literal["onnx", "torch"] = Field(
        "onnx",
        description="What embeds search queries: onnx (onnxruntime, no torch in the server once exported) or torch.",
    )
    knowledge_embed_batch_size: int = Field(
        64, ge=1, description="Texts per forward pass when embedding chunks."
    )
    knowledge_hnsw_threshold: int = Field(
        20_000,
        ge=1,
        description="Chunks from which the dense index is FAISS HNSW instead of exact flat search; below it "
        "exact search takes under ~1.5 ms a query (bench/hnsw_threshold.py).",
    )
    knowledge_hnsw_m: int = Field(32, ge=4, description="HNSW graph degree (neighbours per node).")
    knowledge_hnsw_ef_construction: int = Field(80, ge=8, description="HNSW beam width while building.")
    knowledge_hnsw_ef_search: int = Field(
        128, ge=8, description="HNSW beam width while searching (recall vs speed)."
    )
    # fusion (hybrid search); defaults are the winner of bench/quality.py
    fusion_method: Literal["rrf", "minmax", "zscore", "dbsf"] = Field(
        "minmax",
        description="How hybrid search merges dense and BM25 results: minmax, zscore or dbsf (weighted sum of "
        "per-list normalised scores) or rrf (reciprocal rank).",
    )
    fusion_dense_weight: float = Field(
        0.5, ge=0, description="Weight of the dense (embedding) scores in hybrid fusion."
    )
    fusion_bm25_weight: float = Field(
        0.5, ge=0, description="Weight of the BM25 (keyword) scores in hybrid fusion."
    )
    fusion_rrf_k: float = Field(
        60.0,
        gt=0,
        description="The k of reciprocal-rank fusion (only for fusion_method=rrf); larger flattens ranks.",
    )
    fusion_candidates: int = Field(
        300,
        ge=1,
        description="Chunks taken from each retriever (dense, BM25) before hybrid fusion; deeper lists give "
        "more chunks a score from both retrievers (bench/README.md).",
    )
    fusion_feedback_chunks: int = Field(
        3,
        ge=0,
        description="Hybrid search re-runs the dense search with the query moved towards its top this-many fused "
        "chunks (pseudo-relevance feedback, Rocchio), then fuses again; 0 turns it off.",
    )
    fusion_feedback_weight: float = Field(
        1.0,
        ge=0,
        description="How far the feedback moves the query: q + weight x mean(feedback chunk vectors), renormalised.",
    )
    # Reddit collection (`study collect reddit`); app credentials from https://www.reddit.com/prefs/apps
    reddit_client_id: str = Field(
        "",
        description="Client id of your Reddit OAuth app (a 'script' app); needed by `study collect reddit`.",
    )
    reddit_client_secret: str = Field("", description="Client secret of your Reddit OAuth app.")
    reddit_user_agent: str = Field(
        "python:study-tracker:0.1 (knowledge collector)",
        description="User-Agent sent to Reddit; their rules ask for '<platform>:<app id>:<version> (by /u/<you>)'.",
    )
    reddit_oauth_url: str = Field(
        "https://oauth.reddit.com",
        description="Base URL of Reddit's OAuth API (change only for a test server).",
    )
    reddit_url: str = Field(
        "https://www.reddit.com",
        description="Base URL where Reddit access tokens are obtained (change only for tests).",
    )
    reddit_timeout: float = Field(
        16.0, gt=0, description="Seconds to wait for a Reddit response before giving up."
    )
    reddit_more_comments: int = Field(
        8,
        ge=-1,
        description="'Load more comments' expansions per post when collecting (each is one request); 0 none, -1 all.",
    )
    reddit_max_retries: int = Field(
        5,
        ge=0,
        description="Retries of a Reddit request refused with 429 or a server error, with backoff between.",
    )
    reddit_backoff_seconds: float = Field(
        2.0,
        ge=0,
        description="First wait after a 429 or server error without a Retry-After header; doubles on each retry.",
    )

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'study.db'}"

    @property
    def knowledge_path(self) -> Path:
        return self.knowledge_dir or self.data_dir / "knowledge"


@functools.cache
def get_settings() -> Settings:
    return Settings()


def settings_table() -> str:
    """The README's settings table, generated from the fields (``python -m study_tracker.config``)."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default if field.default is not None else ""
        rows.append(f"| `STUDY_{name.upper()}` | `{default}` | {field.description} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())

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
    # --- web security ---
    allowed_hosts: str = Field(
        "",
        max_length=2000,
        description="Host names the web server answers to besides localhost, 127.0.0.1, [::1] and the "
        "address it listens on, comma-separated (e.g. study.lan,192.168.1.20); a request for any other "
        "Host is refused (400), so a web page cannot reach the server through a name of its own (DNS rebinding).",
    )
    # --- bounded requests (checked before a body is read) ---
    body_max_kb: float = Field(
        1024.0,
        gt=0,
        description="Largest request body of a form or JSON call, in KB; bigger ones are refused (413) "
        "before they are read. Uploads, imports and roadmaps have their own limits.",
    )
    upload_max_mb: float = Field(
        200.0,
        gt=0,
        description="Largest upload request on the Sources page (all its files together), in MB; each "
        "file is also held to knowledge_max_file_mb. Refused (413) before it is read.",
    )
    roadmap_max_mb: float = Field(
        2.0,
        gt=0,
        le=1024,
        description="Largest Markdown roadmap `study roadmap import` and the Roadmaps page accept, in MB "
        "(checked before it is read).",
    )
    # --- data safety (concurrency, backups, imports) ---
    db_busy_timeout_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Seconds a write waits for SQLite's write lock (held by another request or program) "
        "before it is refused with 'busy' (503); read when a process first opens the database.",
    )
    backup_daily: bool = Field(
        True,
        description="On the first start of each day (CLI or server), write a verified backup of a SQLite "
        "database that holds history to <data_dir>/backups (one is also written before every import, "
        "migration and restore).",
    )
    backup_keep_daily: int = Field(
        7,
        ge=1,
        le=366,
        description="Automatic backups kept: the newest of each of this many days that have one.",
    )
    backup_keep_weekly: int = Field(
        4,
        ge=0,
        le=520,
        description="Automatic backups kept: the newest of each of this many weeks that have one.",
    )
    backup_keep_monthly: int = Field(
        12,
        ge=0,
        le=1200,
        description="Automatic backups kept: the newest of each of this many months that have one.",
    )
    import_max_mb: float = Field(
        50.0,
        gt=0,
        le=1024,
        description="Largest export document `study import` and /api/import accept, in MB (checked before it is read).",
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
        "with the reason (a .json.zst counts its decompressed size). JSONL/NDJSON (and .zst) are streamed: "
        "see knowledge_max_line_mb and knowledge_max_inflated_mb. 0 means no limit.",
    )
    knowledge_max_line_mb: float = Field(
        16.0,
        gt=0,
        description="Longest line of a JSONL/NDJSON file (compressed or not) read at ingest, in MB; a file "
        "with a longer line is skipped with the reason, so one bad line never fills the memory.",
    )
    knowledge_max_inflated_mb: float = Field(
        20480.0,
        gt=0,
        description="Largest decompressed size of a .zst file read at ingest, in MB; a stream that also "
        "inflates more than 200 times its compressed size (past 64 MB) is a decompression bomb and skipped.",
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
        128,
        ge=32,
        description="Largest chunk in tokens of the model's tokenizer, heading path included; capped at the "
        "model's own window (256 for all-MiniLM-L6-v2, which was fine-tuned on 128-token texts: chunks of 128 "
        "embed better, bench/README.md round 3).",
    )
    knowledge_chunk_overlap: int = Field(
        0, ge=0, description="Tokens of a chunk repeated at the start of the next chunk of the same section."
    )
    knowledge_embed_backend: Literal["torch", "onnx"] = Field(
        "torch",
        description="What embeds chunks at ingest: torch (sentence-transformers) or onnx (the exported model).",
    )
    embedding_variant: Literal["fp32", "int8"] = Field(
        "fp32",
        description="Weights of the embedding model: fp32 (full precision) or int8 (the ONNX model quantized here "
        "from the packaged weights, faster on CPU; used for ingest and queries alike). Part of the model id, so a "
        "switch re-embeds everything from text on the next ingest (bench/README.md, embedding speed).",
    )
    embedding_device: Literal["auto", "cpu", "cuda"] = Field(
        "auto",
        description="Where the embedding model runs: cuda (onnxruntime's CUDA provider, or torch on CUDA), cpu, or "
        "auto (cuda when the installed onnxruntime or torch can use a GPU, else cpu).",
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
    # watched folders (`study watch`, the Sources page): re-indexed when their files change
    knowledge_watch_folders: list[str] = Field(
        [],
        description="Folders always watched, besides those added with `study watch add` or on the Sources page "
        '(a JSON list, e.g. ["/home/me/notes"]); the server and `study watch` re-index them when files change.',
    )
    knowledge_watch_in_server: bool = Field(
        True,
        description="Watch the watched folders while the web server runs (ingest runs in a child process).",
    )
    knowledge_watch_quiet_ms: int = Field(
        300,
        ge=10,
        le=60_000,
        description="A burst of file changes ends after this many milliseconds without a new one; then one "
        "ingest runs for the whole burst.",
    )
    knowledge_watch_max_burst_ms: int = Field(
        3000,
        ge=100,
        le=600_000,
        description="Longest wait for a burst to end (a folder that never stops changing is still re-indexed).",
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
    fusion_section_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Hybrid search also fuses each section's dense and BM25 scores (a section: the "
        "chunks of one document under one heading path); a chunk's score is (1 - this) x its own fused score + "
        "this x its section's; 0 fuses chunks alone.",
    )
    fusion_section_bm25: bool = Field(
        True,
        description="A section's BM25 evidence comes from BM25 over the whole section's text (its own index) "
        "rather than from its best chunk: BM25 sees all of a short document's terms at once (bench/README.md).",
    )
    fusion_bm25_zero_floor: bool = Field(
        False,
        description="When BM25 finds fewer chunks than fusion_candidates, fuse as if every other chunk scored 0 "
        "(its true BM25 score) instead of the list's lowest score: +0.005 nDCG@10 on NFCorpus, but then a lone weak "
        "keyword match counts in full and can outrank the dense answer in a small knowledge base (bench/README.md).",
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
    # --- ask (grounded answers with citations; `study ask`, the Ask page) ---
    ask_k: int = Field(
        5, ge=1, le=20, description="Passages retrieved to answer a question (each a numbered source)."
    )
    ask_min_score: float = Field(
        0.36,
        ge=-1,
        le=1,
        description="'Nothing relevant' threshold: the cosine similarity between the question and the best "
        "dense passage (all-MiniLM-L6-v2); below it the answer says nothing relevant was found. Calibrated on "
        "bench/qa/calibration.jsonl (on- vs off-topic questions, bench/qa/calibrate.py; see README).",
    )
    ask_floor_score: float = Field(
        0.25,
        ge=-1,
        le=1,
        description="Below ask_min_score, a question is still answered when its best dense cosine reaches this and "
        "one of the top passages holds at least ask_min_coverage of its topic words (short, specific questions over your "
        "own notes; bench/qa/refusal.py).",
    )
    ask_min_coverage: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Share of the question's topic words (stemmed, without stop and question words) one top passage "
        "must contain for a question below ask_min_score to be answered.",
    )
    ask_max_question_chars: int = Field(
        1000, ge=10, description="Longest question accepted, in characters; longer ones are refused."
    )
    llm_enabled: bool = Field(
        True,
        description="Answer with the LLM by default when llm_base_url is set (false: extractive unless --llm).",
    )
    llm_base_url: str = Field(
        "",
        description="Base URL of an OpenAI-compatible API, e.g. http://localhost:11434/v1 (Ollama); "
        "empty means no LLM: answers are extractive.",
    )
    llm_model: str = Field(
        "", description="Model name sent to the LLM endpoint (e.g. llama3.2, gpt-4o-mini)."
    )
    llm_api_key_env: str = Field(
        "STUDY_LLM_API_KEY",
        description="NAME of the environment variable holding the LLM API key (the key itself is never a "
        "setting); unset or empty sends no Authorization header, as local servers expect.",
    )
    llm_timeout_s: float = Field(
        30.0, gt=0, description="Seconds to wait for the LLM to connect and for each piece of its reply."
    )
    llm_retries: int = Field(
        1,
        ge=0,
        le=10,
        description="Retries of an LLM request that failed to connect, timed out or got 429/5xx.",
    )
    llm_temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature sent to the LLM.")
    llm_max_tokens: int = Field(
        600, ge=0, description="Longest LLM answer in tokens; 0 lets the server decide."
    )

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'study.db'}"

    @property
    def allowed_host_names(self) -> frozenset[str]:
        """The configured ``allowed_hosts``, lower-cased, brackets of IPv6 addresses removed."""
        names = (n.strip().lower().strip("[]") for n in self.allowed_hosts.split(","))
        return frozenset(n for n in names if n)

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

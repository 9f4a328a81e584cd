"""SQLite (WAL) persistence of cache entries, their vectors and the stats."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    entry_id TEXT NOT NULL UNIQUE,
    namespace TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    exact_key TEXT NOT NULL,
    prompt TEXT NOT NULL,
    model TEXT NOT NULL,
    response TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    embed_model TEXT NOT NULL,
    vector BLOB NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL,
    last_used_at REAL NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS entries_exact ON entries(exact_key);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

COLUMNS = (
    "id, entry_id, namespace, fingerprint, exact_key, prompt, model, input_tokens, "
    "output_tokens, embed_model, vector, created_at, expires_at, last_used_at, hits"
)


class StoreError(RuntimeError):
    pass


class Store:
    """One SQLite database. ``directory=None`` keeps everything in memory."""

    def __init__(self, directory: Path | None) -> None:
        if directory is None:
            target = ":memory:"
        else:
            directory.mkdir(parents=True, exist_ok=True)
            target = str(directory / "cache.sqlite3")
        self.path = target
        self._lock = threading.RLock()
        try:
            self.db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
            if target != ":memory:":
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                self.db.execute(
                    "INSERT INTO meta(key, value) VALUES('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            elif int(row[0]) > SCHEMA_VERSION:
                raise StoreError(
                    f"cache DB {target} has schema {row[0]}, newer than this widget-log "
                    f"({SCHEMA_VERSION})"
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open cache DB {target}: {exc}") from exc

    def insert(self, e: dict[str, Any], vector: np.ndarray | None) -> int:
        """Insert an entry; ``e["response"]`` is its JSON text. No vector yet: an empty blob."""
        with self._lock:
            cur = self.db.execute(
                "INSERT INTO entries(entry_id, namespace, fingerprint, exact_key, prompt, model,"
                " response, input_tokens, output_tokens, embed_model, vector, created_at,"
                " expires_at, last_used_at, hits) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
                (
                    e["entry_id"],
                    e["namespace"],
                    e["fingerprint"],
                    e["exact_key"],
                    e["prompt"],
                    e["model"],
                    e["response"],
                    e["input_tokens"],
                    e["output_tokens"],
                    e["embed_model"],
                    b"" if vector is None else np.asarray(vector, dtype=np.float32).tobytes(),
                    e["created_at"],
                    e["expires_at"],
                    e["created_at"],
                ),
            )
            return int(cur.lastrowid)

    def response(self, row_id: int) -> str | None:
        """The stored answer's JSON text."""
        with self._lock:
            row = self.db.execute("SELECT response FROM entries WHERE id=?", (row_id,)).fetchone()
        return row[0] if row else None

    def delete(self, row_ids: list[int]) -> None:
        if not row_ids:
            return
        with self._lock:
            self.db.executemany("DELETE FROM entries WHERE id=?", [(i,) for i in row_ids])

    def touch(self, used: dict[int, tuple[float, int]]) -> None:
        """Persist last-use times and hit counts (batched, off the hot path)."""
        if not used:
            return
        with self._lock:
            self.db.execute("BEGIN")
            self.db.executemany(
                "UPDATE entries SET last_used_at=?, hits=? WHERE id=?",
                [(t, h, i) for i, (t, h) in used.items()],
            )
            self.db.execute("COMMIT")

    def update_vector(self, row_id: int, vector: np.ndarray, embed_model: str) -> None:
        with self._lock:
            self.db.execute(
                "UPDATE entries SET vector=?, embed_model=? WHERE id=?",
                (np.asarray(vector, dtype=np.float32).tobytes(), embed_model, row_id),
            )

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """All entries, least recently used first."""
        with self._lock:
            cur = self.db.execute(f"SELECT {COLUMNS} FROM entries ORDER BY last_used_at, id")
            yield from cur

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self.db.execute(
                "INSERT INTO meta(key, value) VALUES(?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    def close(self) -> None:
        with self._lock:
            self.db.close()

"""The run ledger: every run, LLM call and candidate with its verdict, in SQLite.

The ledger is an event listener (:meth:`Ledger.listener`); the engine does not know it exists.
Events are written by one thread of the ledger's own, in order: the listener only queues them,
so neither a slow disk nor another process's lock (waited for up to ``$ANVIL_LEDGER_WAIT``
seconds) holds up the event loop that runs the engine or answers an editor. Reading, and
:meth:`Ledger.flush`, wait for what was queued before.
Default location: ``$ANVIL_LEDGER``, else ``$XDG_DATA_HOME/anvil/ledger.sqlite``
(``~/.local/share/anvil/ledger.sqlite``).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from . import events as ev

log = logging.getLogger("anvil.ledger")

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, started REAL, finished REAL, problem TEXT, status TEXT, reason TEXT,
    calls INTEGER DEFAULT 0, tokens INTEGER DEFAULT 0, best_candidate INTEGER, best_status TEXT,
    best_score REAL, manifest TEXT, timings TEXT, tag TEXT
);
CREATE TABLE IF NOT EXISTS calls (
    run_id TEXT, id INTEGER, purpose TEXT, round INTEGER, prompt_tokens INTEGER,
    completion_tokens INTEGER, latency_s REAL, model TEXT, error TEXT, PRIMARY KEY (run_id, id)
);
CREATE TABLE IF NOT EXISTS candidates (
    run_id TEXT, id INTEGER, round INTEGER, origin TEXT, parent INTEGER, call_id INTEGER,
    duplicate_of INTEGER, status TEXT, score REAL, code TEXT, verdict TEXT, reason TEXT,
    edits TEXT, diff TEXT,
    PRIMARY KEY (run_id, id)
);
CREATE TABLE IF NOT EXISTS patches (
    run_id TEXT, candidate INTEGER, judged INTEGER, tried INTEGER, elapsed_s REAL, edits TEXT, passed INTEGER,
    PRIMARY KEY (run_id, candidate)
);
CREATE TABLE IF NOT EXISTS bench_outcomes (
    sweep TEXT, problem TEXT, arm TEXT, outcome TEXT, recorded REAL, PRIMARY KEY (sweep, problem, arm)
);
CREATE TABLE IF NOT EXISTS sweeps (name TEXT PRIMARY KEY, created REAL, settings TEXT);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started);
CREATE INDEX IF NOT EXISTS runs_tag ON runs (tag);
"""


def default_path() -> Path:
    env = os.environ.get("ANVIL_LEDGER")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "anvil" / "ledger.sqlite"


class LedgerError(Exception):
    """The ledger cannot be opened or written (the message says why, in one line)."""


#: how long a run waits for a ledger another process holds locked ($ANVIL_LEDGER_WAIT, seconds)
def lock_wait() -> float:
    try:
        return max(0.0, float(os.environ.get("ANVIL_LEDGER_WAIT", "30")))
    except ValueError:
        return 30.0


class Ledger:
    """``read_only``: for commands that only read (``anvil runs``): a missing ledger is not
    created, and nothing is written."""

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.read_only = read_only
        try:
            if read_only:
                if not self.path.is_file():
                    raise LedgerError(f"no ledger at {self.path} (no runs recorded yet)")
                self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=lock_wait(),
                                          isolation_level=None, check_same_thread=False)
                self.db.row_factory = sqlite3.Row
                self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            else:
                if self.path.is_dir():
                    raise LedgerError(f"the ledger {self.path} is a folder; give a file (--ledger FILE)")
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite3.connect(self.path, timeout=1.0, isolation_level=None, check_same_thread=False)
                self.db.row_factory = sqlite3.Row
                self._claim(on_wait)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(SCHEMA)
                self._migrate()
        except LedgerError:
            raise
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"cannot use the ledger {self.path}: {exc} (not an Anvil ledger? give another file "
                              "with --ledger or $ANVIL_LEDGER)") from None
        except OSError as exc:
            raise LedgerError(f"cannot use the ledger {self.path}: {exc.strerror or exc}") from None
        self.db.row_factory = sqlite3.Row
        # the connection is used by the writer thread and by readers: one at a time
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[ev.Event, str | None] | None] = queue.Queue()
        self._writer: threading.Thread | None = None

    def _claim(self, on_wait: Callable[[str], None] | None) -> None:
        """A write probe: a ledger locked by another process is waited for (saying so), then an
        error; a read-only or foreign file is an error now, not in the middle of a run."""
        wait = lock_wait()
        for attempt in (1, 2):
            try:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("ROLLBACK")
                self.db.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if attempt == 2 or wait <= 1:
                    raise LedgerError(f"the ledger {self.path} is locked by another process (waited {wait:g} s); "
                                      "try again, or give another file with --ledger") from None
                if on_wait is not None:
                    on_wait(f"the ledger {self.path} is locked by another process; waiting up to {wait:g} s")
                self.db.execute(f"PRAGMA busy_timeout = {int((wait - 1) * 1000)}")

    def _migrate(self) -> None:
        """Columns added since a ledger was created."""
        have = {row["name"] for row in self.db.execute("PRAGMA table_info(candidates)")}
        for column in ("edits", "diff"):
            if column not in have:
                self.db.execute(f"ALTER TABLE candidates ADD COLUMN {column} TEXT")

    def close(self) -> None:
        """Write what is queued, then close."""
        writer, self._writer = self._writer, None
        if writer is not None:
            self._queue.put(None)
            writer.join()
        self.db.close()

    def flush(self) -> None:
        """Wait until every event queued so far is written."""
        if self._writer is not None:
            self._queue.join()

    # -- writing (from events) --------------------------------------------------------------

    def listener(self, tag: str | None = None) -> ev.Listener:
        """Queue each event for the writer thread (the caller never waits for the disk)."""
        def queue_it(event: ev.Event) -> None:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_queued, name="anvil-ledger", daemon=True)
                self._writer.start()
            self._queue.put((event, tag))

        return queue_it

    def _write_queued(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                event, tag = item
                try:
                    with self._lock:
                        self._record(event, tag)
                except Exception as exc:  # noqa: BLE001 - the run goes on, the writer too; the log says what it missed
                    log.warning("the ledger %s could not record %s: %s", self.path, type(event).__name__, exc)
            finally:
                self._queue.task_done()

    def _record(self, event: ev.Event, tag: str | None) -> None:
        if isinstance(event, ev.RunStarted):
            self.db.execute("INSERT OR REPLACE INTO runs (id, started, problem, status, manifest, tag) "
                            "VALUES (?, ?, ?, 'running', ?, ?)",
                            (event.run_id, time.time(), event.problem, json.dumps(event.manifest), tag))
        elif isinstance(event, ev.CallFinished):
            call = event.call
            self.db.execute("INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (event.run_id, call.id, call.purpose.value, call.round, call.prompt_tokens,
                             call.completion_tokens, call.latency_s, call.model, call.error))
        elif isinstance(event, (ev.CandidateJudged, ev.Synthesised)):  # the figures: the same row, again
            c = event.candidate
            v = c.verdict
            made = c.provenance
            # parent: for a patch, the model's candidate its edits are shown against
            parent = made.base if made.origin.model_free else made.of
            self.db.execute("INSERT OR REPLACE INTO candidates (run_id, id, round, origin, parent, call_id, "
                            "duplicate_of, status, score, code, verdict, reason, edits, diff) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (event.run_id, c.id, c.round, made.origin.value, parent, made.call, c.duplicate_of,
                             v.status.value, v.score, c.code, json.dumps(v.to_dict()), v.reason,
                             json.dumps(list(made.edits)) if made.edits else None, c.diff or None))
        elif isinstance(event, ev.PatchFinished):
            self.db.execute("INSERT OR REPLACE INTO patches VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (event.run_id, event.candidate, event.judged, event.tried, event.elapsed_s, event.edits,
                             int(event.passed)))
        elif isinstance(event, ev.RunFinished):
            r = event.result
            best = r.best
            self.db.execute("UPDATE runs SET finished=?, status=?, reason=?, calls=?, tokens=?, "
                            "best_candidate=?, best_status=?, best_score=?, timings=? WHERE id=?",
                            (time.time(), r.status.value, r.reason, r.calls, r.tokens, best.id if best else None,
                             best.verdict.status.value if best else None, best.verdict.score if best else None,
                             json.dumps(asdict(r.timings)), r.run_id))

    def _read(self, query: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a query, once what was queued before is written."""
        self.flush()
        with self._lock:
            return list(self.db.execute(query, args))

    def _execute(self, query: str, args: tuple[Any, ...] = ()) -> None:
        self.flush()
        with self._lock:
            self.db.execute(query, args)

    # -- benchmark sweeps ----------------------------------------------------------------------

    def sweep_settings(self, name: str, settings: dict[str, Any]) -> dict[str, Any]:
        """Register a sweep (first call wins) and return the settings it was started with."""
        self._execute("INSERT OR IGNORE INTO sweeps VALUES (?, ?, ?)", (name, time.time(), json.dumps(settings)))
        row = self._read("SELECT settings FROM sweeps WHERE name = ?", (name,))[0]
        started: dict[str, Any] = json.loads(row["settings"])
        return started

    def forget_sweep(self, name: str) -> None:
        self._execute("DELETE FROM bench_outcomes WHERE sweep = ?", (name,))
        self._execute("DELETE FROM sweeps WHERE name = ?", (name,))

    def sweep_rows(self, sweep: str) -> list[dict[str, Any]]:
        """What a sweep recorded (its results as the sweep wrote them), oldest first."""
        rows = self._read("SELECT outcome FROM bench_outcomes WHERE sweep = ? ORDER BY recorded", (sweep,))
        return [json.loads(r["outcome"]) for r in rows]

    def add_sweep_row(self, sweep: str, problem: str, arm: str, row: dict[str, Any]) -> None:
        """Record one result of a sweep (replacing an earlier one of the same problem and arm)."""
        self._execute("INSERT OR REPLACE INTO bench_outcomes VALUES (?, ?, ?, ?, ?)",
                      (sweep, problem, arm, json.dumps(row), time.time()))

    # -- reading ------------------------------------------------------------------------------

    def runs(self, limit: int = 20, tag: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT * FROM runs" + (" WHERE tag = ?" if tag else "") + " ORDER BY started DESC LIMIT ?"
        args = (tag, limit) if tag else (limit,)
        return [dict(row) for row in self._read(query, args)]

    def run(self, run_id: str) -> dict[str, Any] | None:
        """The run with this id, or the latest whose id starts with it (taken literally)."""
        prefix = run_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._read("SELECT * FROM runs WHERE id = ? OR id LIKE ? ESCAPE '\\' ORDER BY started DESC",
                          (run_id, prefix))
        if not rows:
            return None
        run = dict(rows[0])
        run["manifest"] = json.loads(run["manifest"] or "{}")
        run["timings"] = json.loads(run["timings"] or "{}")
        run["calls_detail"] = [dict(r) for r in self._read(
            "SELECT * FROM calls WHERE run_id = ? ORDER BY id", (run["id"],))]
        run["candidates"] = []
        for r in self._read("SELECT * FROM candidates WHERE run_id = ? ORDER BY id", (run["id"],)):
            c = dict(r)
            c["verdict"] = json.loads(c["verdict"] or "{}")
            c["edits"] = json.loads(c["edits"]) if c.get("edits") else []
            run["candidates"].append(c)
        run["patches"] = [dict(r) for r in self._read(
            "SELECT * FROM patches WHERE run_id = ? ORDER BY candidate", (run["id"],))] if self._has("patches") else []
        return run

    def _has(self, table: str) -> bool:
        """A ledger written by an older Anvil, opened read-only, may lack a newer table."""
        return bool(self._read("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)))

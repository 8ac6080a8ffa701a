"""The SQL of :class:`~chatroute.shared.postgres.PostgresJournal`: its tables, lock keys and statements."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from .journal import Entry

__all__ = [
    "ENTRY_COLUMNS",
    "SCHEMA",
    "JournalCore",
    "entry_columns",
    "entry_of",
    "lock_keys",
    "queries",
    "seat_keys",
]

ENTRY_COLUMNS = "position, call, args, now, geo, result, request_id, nonce, chatroute_version, config_version"

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.entries (
    desk_id text NOT NULL,
    position bigint NOT NULL,
    call text NOT NULL,
    args json NOT NULL,
    now timestamptz NOT NULL,
    geo json NOT NULL,
    result json,
    request_id text,
    nonce text NOT NULL,
    chatroute_version text NOT NULL,
    config_version bigint NOT NULL,
    committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (desk_id, position)
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_request_id ON {s}.entries (desk_id, request_id)
    WHERE request_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS {s}.snapshots (
    desk_id text NOT NULL,
    position bigint NOT NULL,
    config json NOT NULL,
    config_version bigint NOT NULL,
    snapshot text NOT NULL,
    now timestamptz NOT NULL,
    chatroute_version text NOT NULL,
    PRIMARY KEY (desk_id, position)
);
ALTER TABLE {s}.snapshots ADD COLUMN IF NOT EXISTS image bytea;
CREATE TABLE IF NOT EXISTS {s}.outbox (
    desk_id text NOT NULL,
    position bigint NOT NULL,
    events json NOT NULL,
    PRIMARY KEY (desk_id, position)
);
CREATE TABLE IF NOT EXISTS {s}.consumers (
    desk_id text NOT NULL,
    name text NOT NULL,
    position bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (desk_id, name)
);
CREATE UNLOGGED TABLE IF NOT EXISTS {s}.requests (
    id bigserial PRIMARY KEY,
    desk_id text NOT NULL,
    token text NOT NULL,
    call text NOT NULL,
    args json NOT NULL,
    now timestamptz,
    request_id text
);
CREATE INDEX IF NOT EXISTS requests_desk ON {s}.requests (desk_id, id);
CREATE UNLOGGED TABLE IF NOT EXISTS {s}.replies (
    token text PRIMARY KEY,
    desk_id text NOT NULL,
    position bigint NOT NULL,
    now timestamptz NOT NULL,
    result json,
    error boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS replies_position ON {s}.replies (desk_id, position);
CREATE UNLOGGED TABLE IF NOT EXISTS {s}.writers (
    desk_id text PRIMARY KEY,
    busy boolean NOT NULL,
    snapshot_mark bigint NOT NULL DEFAULT 0
);
CREATE OR REPLACE PROCEDURE {s}.submit(
    queued_desk text, queued_token text, queued_call text, queued_args json,
    queued_now timestamptz, queued_request_id text, requests_channel text
) LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {s}.requests (desk_id, token, call, args, now, request_id)
        VALUES (queued_desk, queued_token, queued_call, queued_args, queued_now, queued_request_id);
    -- committed before the writer's state is read: a writer that marked itself idle
    -- before this request committed is woken, one that is busy reads the queue again
    COMMIT;
    IF NOT EXISTS (SELECT 1 FROM {s}.writers WHERE desk_id = queued_desk AND busy) THEN
        PERFORM pg_notify(requests_channel, queued_desk);
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION {s}.write_batch(
    batch_desk text,
    entry_positions bigint[], entry_calls text[], entry_args json[], entry_nows timestamptz[],
    entry_geos json[], entry_results json[], entry_request_ids text[], entry_nonces text[],
    entry_versions text[], entry_config_versions bigint[],
    outbox_positions bigint[], outbox_events json[], outbox_channel text,
    reply_tokens text[], reply_positions bigint[], reply_nows timestamptz[], reply_results json[],
    reply_errors boolean[], reply_channels text[], reply_payloads text[],
    served_ids bigint[], forget_through bigint, writer_busy boolean
) RETURNS void LANGUAGE plpgsql AS $$
-- a batch's (or a call's) writes in one statement of the same text every time, so that
-- it is parsed and planned once per connection
BEGIN
    IF cardinality(entry_positions) > 0 THEN
        INSERT INTO {s}.entries (desk_id, position, call, args, now, geo, result, request_id, nonce,
                                 chatroute_version, config_version)
            SELECT batch_desk, * FROM unnest(entry_positions, entry_calls, entry_args, entry_nows,
                entry_geos, entry_results, entry_request_ids, entry_nonces, entry_versions,
                entry_config_versions);
    END IF;
    IF cardinality(outbox_positions) > 0 THEN
        INSERT INTO {s}.outbox (desk_id, position, events)
            SELECT batch_desk, * FROM unnest(outbox_positions, outbox_events);
        IF outbox_channel IS NOT NULL THEN
            PERFORM pg_notify(outbox_channel, batch_desk);
        END IF;
    END IF;
    IF cardinality(served_ids) > 0 THEN
        DELETE FROM {s}.requests WHERE desk_id = batch_desk AND id = ANY(served_ids);
    END IF;
    IF cardinality(reply_tokens) > 0 THEN
        INSERT INTO {s}.replies (token, desk_id, position, now, result, error)
            SELECT token, batch_desk, position, now, result, error
            FROM unnest(reply_tokens, reply_positions, reply_nows, reply_results, reply_errors)
                AS reply (token, position, now, result, error);
        PERFORM pg_notify(channel, payload)
            FROM unnest(reply_channels, reply_payloads) AS note (channel, payload);
    END IF;
    IF forget_through IS NOT NULL THEN
        DELETE FROM {s}.replies WHERE desk_id = batch_desk AND position <= forget_through;
    END IF;
    IF writer_busy IS NOT NULL THEN
        INSERT INTO {s}.writers (desk_id, busy) VALUES (batch_desk, writer_busy)
            ON CONFLICT (desk_id) DO UPDATE SET busy = excluded.busy;
    END IF;
END
$$;
"""


def _key(name: str) -> int:
    """A stable signed 32-bit key for a name (CRC-32)."""
    value = zlib.crc32(name.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def lock_keys(schema: str, desk_id: str) -> tuple[int, int]:
    """The two keys of a desk's advisory lock: ``pg_advisory_xact_lock(*lock_keys(schema, desk))``."""
    return _key(schema), _key(desk_id)


def seat_keys(schema: str, desk_id: str) -> tuple[int, int]:
    """The two keys of the session lock its batching writer holds: ``pg_advisory_lock(*seat_keys(...))``."""
    return _key(f"{schema}:writer"), _key(desk_id)


def entry_columns(entry: Entry, as_json: Callable[[Any], Any]) -> tuple[Any, ...]:
    """An entry's values in the order of :data:`ENTRY_COLUMNS`, its JSON ones through ``as_json``."""
    return (
        entry.position,
        entry.call,
        as_json(entry.args),
        entry.now,
        as_json(list(entry.geo)),
        as_json(entry.result),
        entry.request_id,
        entry.nonce,
        entry.chatroute_version,
        entry.config_version,
    )


def entry_of(row: dict[str, Any]) -> Entry:
    return Entry(
        position=row["position"],
        call=row["call"],
        args=row["args"],
        now=row["now"],
        geo=tuple(row["geo"]),
        result=row["result"],
        request_id=row["request_id"],
        nonce=row["nonce"],
        chatroute_version=row["chatroute_version"],
        config_version=row["config_version"],
    )


def queries(schema: str) -> dict[str, sql.Composed]:
    """The journal's statements on the tables of ``schema``."""
    s = sql.Identifier(schema)
    return {
        "lock": sql.SQL("SELECT pg_advisory_xact_lock(%s, %s)").format(),
        "entries": sql.SQL(
            "SELECT " + ENTRY_COLUMNS + " FROM {s}.entries WHERE desk_id = %s AND position > %s"
            " ORDER BY position"
        ).format(s=s),
        "first": sql.SQL(
            "SELECT "
            + ENTRY_COLUMNS.replace("result", "CASE WHEN request_id = %s THEN result END AS result")
            + " FROM {s}.entries WHERE desk_id = %s AND (position > %s OR request_id = %s)"
            " ORDER BY position"
        ).format(s=s),
        "tail": sql.SQL(
            "SELECT " + ENTRY_COLUMNS.replace("result", "NULL::json AS result") + " FROM {s}.entries"
            " WHERE desk_id = %s AND position > %s ORDER BY position"
        ).format(s=s),
        "insert": sql.SQL(
            "INSERT INTO {s}.entries (desk_id, " + ENTRY_COLUMNS + ")"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        ).format(s=s),
        "outbox": sql.SQL("INSERT INTO {s}.outbox (desk_id, position, events) VALUES (%s, %s, %s)").format(
            s=s
        ),
        "notify": sql.SQL("SELECT pg_notify(%s, %s)").format(),
        "try_lock": sql.SQL("SELECT pg_try_advisory_xact_lock(%s, %s)").format(),
        "requests": sql.SQL(
            "SELECT id, token, call, args, now, request_id FROM {s}.requests WHERE desk_id = %s"
            " ORDER BY id LIMIT 1000"
        ).format(s=s),
        "submit": sql.SQL("CALL {s}.submit(%s, %s, %s, %s, %s, %s, %s)").format(s=s),
        "write": sql.SQL(
            "SELECT {s}.write_batch(%s, %s::bigint[], %s::text[], %s::json[], %s::timestamptz[],"
            " %s::json[], %s::json[], %s::text[], %s::text[], %s::text[], %s::bigint[],"
            " %s::bigint[], %s::json[], %s,"
            " %s::text[], %s::bigint[], %s::timestamptz[], %s::json[], %s::boolean[], %s::text[], %s::text[],"
            " %s::bigint[], %s::bigint, %s::boolean)"
        ).format(s=s),
        "claim_snapshot": sql.SQL(
            "INSERT INTO {s}.writers (desk_id, busy, snapshot_mark) VALUES (%s, false, %s)"
            " ON CONFLICT (desk_id) DO UPDATE SET snapshot_mark = excluded.snapshot_mark"
            " WHERE {s}.writers.snapshot_mark < excluded.snapshot_mark RETURNING 1"
        ).format(s=s),
        "tidy": sql.SQL("VACUUM {s}.requests").format(s=s),
        "take_many": sql.SQL(
            "DELETE FROM {s}.replies WHERE desk_id = %s AND token = ANY(%s)"
            " RETURNING token, position, now, result, error"
        ).format(s=s),
        "lead_lock": sql.SQL("SELECT pg_advisory_lock(%s, %s)").format(),
        "take": sql.SQL(
            "DELETE FROM {s}.replies WHERE token = %s AND desk_id = %s RETURNING position, now, result, error"
        ).format(s=s),
        "queued": sql.SQL(
            "SELECT EXISTS (SELECT 1 FROM {s}.requests WHERE desk_id = %s AND token = %s)"
        ).format(s=s),
    }


class JournalCore(Protocol):
    """What the journal's transactions and waiting connections use of a
    :class:`~chatroute.shared.postgres.PostgresJournal` (its modules do not import it back)."""

    schema: str
    schema_sql: sql.Identifier
    channel: str
    replies_channel: str
    requests_channel: str
    _notify: bool
    _pool: ConnectionPool[Any]
    _queries: dict[str, sql.Composed]

    def _dedicated(self) -> psycopg.Connection[Any]: ...

    def _read_entries(
        self, conn: psycopg.Connection[Any], desk_id: str, after: int, *, results: bool
    ) -> Sequence[Entry]: ...

    def _appends(
        self, desk_id: str, entry: Entry, events: Sequence[Any]
    ) -> list[tuple[sql.Composed, tuple[Any, ...]]]: ...

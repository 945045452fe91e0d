"""What PostgreSQL's binary answers need to read as Django reads the text ones. Only the statements of
``core.rows`` ask for binary answers; the ORM's stay in text, so the loaders below change nothing for it.

For every type our tables use, the driver's binary loaders give what its text loaders give (times in the
connection's zone, which Django keeps at UTC), except JSON: Django's ``JSONField`` parses the text itself,
and psycopg would hand it parsed already. So a ``jsonb`` binary answer is read as its text."""

from __future__ import annotations

from typing import Any

from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.pq import Format

JSONB_VERSION = 1  # the first byte of jsonb's binary form; the JSON text follows


class JsonbAsText(Loader):
    format = Format.BINARY

    def load(self, data: Buffer) -> str:
        raw = bytes(data)
        if raw[0] != JSONB_VERSION:
            raise ValueError(f"unknown jsonb binary format version {raw[0]}")
        return raw[1:].decode()


def prepare(connection: Any) -> None:
    """Register the loaders on a new psycopg connection (its cursors copy them)."""
    connection.adapters.register_loader("jsonb", JsonbAsText)

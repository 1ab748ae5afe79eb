"""Column types that are one thing in SQLite and the richer native thing in PostgreSQL."""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, Float, String, Text, TypeDecorator, Uuid
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Dialect

# JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(pg.JSONB(), "postgresql")
# UUID[] on PostgreSQL; a JSON array of strings on SQLite.
UUIDArray = JSON().with_variant(pg.ARRAY(Uuid()), "postgresql")
# Nullable columns: Python None is SQL NULL there, not the JSON text 'null' (the non-nullable
# JSONType keeps the default, so a stray None is stored as JSON null rather than refused).
NullableJSON = JSON(none_as_null=True).with_variant(pg.JSONB(none_as_null=True), "postgresql")
# TEXT[] on PostgreSQL; a JSON array on SQLite.
NullableTextArray = JSON(none_as_null=True).with_variant(pg.ARRAY(Text()), "postgresql")
# JSONB[] on PostgreSQL; a JSON array on SQLite.
NullableJSONArray = JSON(none_as_null=True).with_variant(pg.ARRAY(pg.JSONB()), "postgresql")
# REAL[] on PostgreSQL (pgvector is optional on Supabase; an array keeps the column portable).
NullableFloatArray = JSON(none_as_null=True).with_variant(
    pg.ARRAY(Float(precision=24)), "postgresql"
)
# INET on PostgreSQL; text on SQLite.
InetType = String(45).with_variant(pg.INET(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite keeps them as naive UTC text that sorts correctly."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum_cls: type[StrEnum], name: str) -> Enum:
    """A text column restricted to the enum's values by a named CHECK constraint (both stores)."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v.value) for v in enum_cls),
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


_V7_CLEAR = ~(0xF << 76) & ~(0x3 << 62)
_V7_SET = 0x7 << 76 | 0x2 << 62  # version 7, RFC 4122 variant


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7): 48 bits of Unix milliseconds, then random bits.

    Rows keyed by it land at the right end of their primary-key B-tree instead of at random
    pages, which keeps bulk inserts (terminal output) fast in SQLite and PostgreSQL alike.
    One per output chunk, so built cheaply: the random bits need to be unique, not secret
    (``random`` is seeded from the OS and reseeded after fork), and the object is made the way
    ``UUID.__init__`` ends, without its argument parsing (three times faster in all).
    """
    value = (time.time_ns() // 1_000_000 << 80 | random.getrandbits(80)) & _V7_CLEAR | _V7_SET
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", uuid.SafeUUID.unknown)
    return made


def sqlite_datetime(value: datetime) -> str:
    """An aware datetime as :class:`UTCDateTime` stores it in SQLite (naive UTC, microseconds)."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
    text = value.isoformat(" ")  # "YYYY-MM-DD HH:MM:SS[.ffffff]+00:00" (the hot path: fast)
    return text[:-6] if value.microsecond else text[:-6] + ".000000"

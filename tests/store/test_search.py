"""Full-text search: what the writer indexes, and what ``history`` finds."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, insert

from onsembl_desktop.store import queries, search
from onsembl_desktop.store.db import local_user_id
from onsembl_desktop.store.models import Agent, Command, CommandRun, TerminalOutput
from onsembl_desktop.store.search import Query, strip_ansi, strip_partial
from onsembl_desktop.store.types import utcnow
from onsembl_desktop.store.writer import Cursor, OutputRow
from tests.store.conftest import Seed, Writer, seed_rows


def lines(engine: Engine, text: str, **kw: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    with engine.connect() as conn:
        return [(e.command.content, e.lines) for e in search.history(conn, search=text, **kw)]


def test_strip_ansi_keeps_what_a_reader_sees() -> None:
    raw = (
        "\x1b[1;31merror\x1b[0m: disk\r\n"
        "\x1b]0;title\x07\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x1b(Bok\x07\n"
        "10%\r50%\r100% done\n"
    )
    assert strip_ansi(raw) == "error: disk\nlink ok\n100% done\n"
    assert strip_partial("half \x1b[3") == "half "
    assert strip_partial("title \x1b]0;half") == "title "
    assert strip_partial("done \x1b[32mgreen") == "done green"


_PIECES = st.sampled_from(
    [
        *("\r", "\n", "\r\n", "a", "é", "█", " ", "\t", "\x1b", "[", "m", "\x07", "\x00", "\x7f"),
        *("\x1b[31m", "\x1b[2K", "\x1b]0;t\x07", "\x1bP1$r\x1b\\", "\x1b(B", "\x1b[3"),
    ]
)


@given(st.lists(_PIECES, max_size=40).map("".join))
def test_strip_ansi_is_each_line_as_left_after_its_last_cr(raw: str) -> None:
    # The definition, one line at a time (what the fast whole-string passes must equal).
    text = search._ESCAPES.sub("", raw)
    text = "".join(ch for ch in text if ch in "\t\n\r" or not (ord(ch) < 32 or ord(ch) == 127))
    expected = "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.split("\n"))
    assert strip_ansi(raw) == expected


def test_queries_are_quoted_words_and_lines_match_like_fts() -> None:
    q = Query.parse('conn* refused "x" (  ')
    assert q is not None
    assert q.fts == '"conn"* AND "refused" AND """x"""'
    assert q.matches_line("Connection refused")
    assert not q.matches_line("nothing here")
    assert Query.parse("-- ( ) *") is None


def test_words_and_colour_codes_split_across_chunks_and_batches_are_found(
    seeded_sqlite: tuple[Engine, Seed], writer: Writer
) -> None:
    engine, seed = seeded_sqlite
    for part in ("building \x1b[3", "2mpack", "age\x1b[0m ok\nerr", "or: disk fu"):
        writer.output(seed, part)
        writer.commit()  # each chunk in its own batch
    assert lines(engine, "package") == [("echo hi", [(name(engine, seed), "building package ok")])]
    # The unfinished last line is searchable before it ends ...
    assert lines(engine, "disk") == [("echo hi", [(name(engine, seed), "error: disk fu")])]
    writer.output(seed, "ll\n")
    writer.commit()
    # ... and replaced, not duplicated, when it does.
    assert lines(engine, "disk") == [("echo hi", [(name(engine, seed), "error: disk full")])]
    assert lines(engine, "fu") == []  # whole words only (or a prefix: fu*)
    assert lines(engine, "fu*") == [("echo hi", [(name(engine, seed), "error: disk full")])]


def name(engine: Engine, seed: Seed) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(Agent.__table__.select().where(Agent.id == seed.agent_id)).one().name
        )


def test_history_lists_newest_first_filters_by_agent_and_matches_command_text(
    seeded_sqlite: tuple[Engine, Seed], writer: Writer
) -> None:
    engine, seed = seeded_sqlite
    other = uuid.uuid4()
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(Agent).values(
                id=other, name="zeta", type="CLAUDE", created_at=now, updated_at=now
            )
        )
        older = seed.command_id
        newer = uuid.uuid4()
        conn.execute(
            insert(Command).values(
                id=newer,
                user_id=seed.user_id,
                content="deploy the widget",
                created_at=now + timedelta(seconds=1),
            )
        )
        conn.execute(insert(CommandRun).values(id=uuid.uuid4(), command_id=newer, agent_id=other))
        conn.execute(
            insert(CommandRun).values(id=uuid.uuid4(), command_id=older, agent_id=seed.agent_id)
        )
    writer.output(seed, "widget factory\n")  # older command, first agent
    writer.commit()
    with engine.connect() as conn:
        everything = search.history(conn)
        assert [e.command.id for e in everything] == [newer, older]
        assert [r.name for r in everything[0].runs] == ["zeta"]
        found = search.history(conn, search="widget")
        assert [e.command.id for e in found] == [newer, older]
        assert found[0].lines == []  # matched by its content
        assert found[1].lines == [(name(engine, seed), "widget factory")]
        only = search.history(conn, search="widget", agent_id=other)
        assert [e.command.id for e in only] == [newer]
        assert search.history(conn, search='NOT "(') == []  # no FTS syntax errors reach SQLite


def test_fast_output_rows_equal_what_sqlalchemy_would_store(
    seeded_sqlite: tuple[Engine, Seed], writer: Writer
) -> None:
    engine, seed = seeded_sqlite
    row = queries.output_row(
        command_id=seed.command_id,
        agent_id=seed.agent_id,
        seq=7,
        stream="STDERR",
        data="x\x1b[0m\n",
        timestamp=utcnow().replace(microsecond=0),
        raw='{"type":"text","text":"x"}',
    )
    core = dict(row, id=uuid.uuid4())
    writer.writer.submit(OutputRow(row))
    writer.commit()
    with engine.begin() as conn:
        conn.execute(insert(TerminalOutput).values(**core))
        raw = conn.exec_driver_sql(
            "SELECT * FROM terminal_outputs WHERE sequence = 7 ORDER BY id = ?", (row["id"].hex,)
        ).all()
    fast, slow = raw[1], raw[0]
    assert fast[0] == row["id"].hex and slow[0] == core["id"].hex
    assert fast[1:] == slow[1:]
    assert fast[6].endswith(".000000")  # SQLAlchemy's text form, microseconds and all
    assert fast[9] == '{"type":"text","text":"x"}'  # raw, last


def test_an_output_row_that_breaks_a_rule_is_dropped_alone(
    seeded_sqlite: tuple[Engine, Seed], writer: Writer
) -> None:
    engine, seed = seeded_sqlite
    ghost = Seed(seed.user_id, seed.agent_id, uuid.uuid4())  # no such command
    writer.output(seed, "kept before\n")
    writer.output(ghost, "lost\n")
    writer.output(seed, "kept after\n")
    writer.commit()
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT content FROM terminal_outputs").scalars().all()
    assert sorted(stored) == ["kept after\n", "kept before\n"]
    assert lines(engine, "kept") == [
        ("echo hi", [(name(engine, seed), "kept before"), (name(engine, seed), "kept after")])
    ]
    assert lines(engine, "lost") == []


def test_a_restarted_writer_continues_the_unfinished_line(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        seed = seed_rows(conn, local_user_id(sqlite_engine))
    first = Writer(sqlite_engine)
    first.output(seed, "hello wo")
    first.commit()
    first.close()
    second = Writer(sqlite_engine)
    second.seq = 1
    second.output(seed, "rld\n")
    second.commit()
    second.close()
    assert lines(sqlite_engine, "world") == [
        ("echo hi", [(name(sqlite_engine, seed), "hello world")])
    ]


def test_a_large_batch_is_stored_in_small_blocks_and_lines_come_in_order(
    seeded_sqlite: tuple[Engine, Seed], writer: Writer
) -> None:
    engine, seed = seeded_sqlite
    for i in range(3000):
        writer.output(seed, f"\x1b[2mline {i:04d}\x1b[0m needle\n")
    writer.commit()  # one batch
    with engine.connect() as conn:
        sizes = conn.exec_driver_sql("SELECT length(text) FROM output_text").scalars().all()
        [entry] = search.history(conn, search="needle", max_lines=5)
        [everything] = search.history(conn, search="needle", max_lines=3000)
    assert len(sizes) > 3 and max(sizes) <= search.BLOCK_CHARS
    assert [line for _, line in entry.lines] == [f"line {i:04d} needle" for i in range(5)]
    assert entry.more
    assert len(everything.lines) == 3000 and not everything.more


def test_an_unfinished_line_of_only_escape_codes_ends_cleanly(
    seeded_sqlite: tuple[Engine, Seed], writer: Writer, caplog: pytest.LogCaptureFixture
) -> None:
    engine, seed = seeded_sqlite
    writer.output(seed, "start ")
    writer.commit()
    writer.output(seed, "\x1b[0m" * (search.MAX_TAIL_CHARS // 4 + 1))  # flushed as if it ended
    writer.commit()
    writer.output(seed, "next line\n")
    writer.commit()
    assert "not indexed" not in caplog.text
    with engine.connect() as conn:
        open_tails = conn.exec_driver_sql(
            "SELECT count(*) FROM output_text WHERE tail IS NOT NULL"
        ).scalar()
    assert open_tails == 0
    assert lines(engine, "next") == [("echo hi", [(name(engine, seed), "next line")])]


def test_cursor_ops_between_chunks_do_not_split_the_batch(
    seeded_sqlite: tuple[Engine, Seed], writer: Writer
) -> None:
    """The core sends a cursor after every chunk; the chunks still go in together."""
    engine, seed = seeded_sqlite
    instance = uuid.uuid4()
    ops: list[Any] = []
    for seq in range(1, 201):
        row = queries.output_row(
            command_id=seed.command_id,
            agent_id=seed.agent_id,
            seq=seq,
            stream="STDOUT",
            data=f"chunk {seq}\n",
            timestamp=utcnow(),
        )
        ops += [OutputRow(row), Cursor(seed.agent_id, instance, seq)]
    writer.writer.submit_many(ops)  # all queued before the writer looks: one batch
    writer.commit()
    with engine.connect() as conn:
        blocks = conn.exec_driver_sql("SELECT count(*) FROM output_text").scalar()
        acked = queries.load_cursors(conn)[(seed.agent_id, instance)]
    # One search block per batch that carried rows (one batch, unless the machine stalled us);
    # were each cursor to cut the rows there would be 200.
    assert blocks <= writer.writer.stats.batches < 10
    assert acked == 200

"""The agent protocol's envelope codec: round trips, refusals, version gating, fuzzing."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onsembl_desktop.protocol import PROTOCOL_VERSION, codec
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.codec import (
    SPECS,
    Direction,
    ErrorCode,
    ProtocolError,
    decode,
    encode,
)

from .strategies import JSON_VALUES, payloads

CID = uuid.UUID("6f1c4b8e-7c1a-4a53-9d43-3a0f2ad1c2a1")
A2S, S2A = Direction.AGENT_TO_SERVER, Direction.SERVER_TO_AGENT


def envelope(type_: str, payload: Any, **fields: Any) -> bytes:
    env = {"type": type_, "id": "msg-1", "timestamp": 1_700_000_000_000, "payload": payload}
    env.update(fields)
    return json.dumps(env).encode()


def refused(data: Any, code: ErrorCode, **kw: Any) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        decode(data, **kw)
    assert info.value.code is code, info.value.message
    return info.value


# --- round trips ---------------------------------------------------------------------------------


def test_every_payload_type_is_registered_once() -> None:
    payload_types = {s.payload for s in SPECS}
    assert len(payload_types) == len(SPECS) == len(codec.BY_TYPE)
    assert {s.direction for s in SPECS} == {A2S, S2A}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_message_round_trips(spec: codec.MessageSpec, data: st.DataObject) -> None:
    payload = data.draw(payloads(spec.payload))
    raw = encode(payload, msg_id="id-1", timestamp=42)
    env = decode(raw, expect=spec.direction)
    assert env.type == spec.type
    assert (env.id, env.timestamp) == ("id-1", 42)
    assert env.payload == payload
    assert encode(env.payload, msg_id="id-1", timestamp=42) == raw


def test_encode_is_camel_case_and_omits_defaults() -> None:
    raw = encode(m.TerminalOutput(seq=7, command_id=CID, data="hi"), msg_id="x", timestamp=1)
    obj = json.loads(raw)
    assert obj == {
        "type": "TERMINAL_OUTPUT",
        "id": "x",
        "timestamp": 1,
        "payload": {"seq": 7, "commandId": str(CID), "data": "hi"},
    }


def test_encode_fills_id_and_timestamp() -> None:
    env = decode(encode(m.ServerHeartbeat(server_time=5)))
    uuid.UUID(env.id)
    assert env.timestamp > 1_600_000_000_000


def test_encode_refuses_what_is_not_a_message() -> None:
    with pytest.raises(TypeError):
        encode(m.HealthMetrics())  # a part of a message, not a message


def test_decode_takes_str_bytes_and_buffers() -> None:
    raw = encode(m.OutputAck(seq=3))
    for form in (raw, raw.decode(), bytearray(raw), memoryview(raw)):
        assert decode(form).payload == m.OutputAck(seq=3)


def test_unknown_fields_are_ignored() -> None:
    env = decode(envelope("OUTPUT_ACK", {"seq": 3, "fromTheFuture": [1, 2]}, extra=True))
    assert env.payload == m.OutputAck(seq=3)


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"{",
        b"[1, 2]",
        b"null",
        b"42",
        b'"a string"',
        b'{"type": "OUTPUT_ACK"}',  # no id, timestamp, payload
        b'{"type": 1, "id": "a", "timestamp": 1, "payload": {}}',
        b'{"type": "OUTPUT_ACK", "id": 7, "timestamp": 1, "payload": {}}',
        b'{"type": "OUTPUT_ACK", "id": "a", "timestamp": "now", "payload": {}}',
        b'{"type": "OUTPUT_ACK", "id": "a", "timestamp": 1.5, "payload": {}}',
        b'{"type": "OUTPUT_ACK", "id": "a", "timestamp": -1, "payload": {"seq": 1}}',
        b'{"type": "OUTPUT_ACK", "id": "a", "timestamp": 1e400, "payload": {"seq": 1}}',
        b'{"type": "OUTPUT_ACK", "id": "a", "timestamp": 99999999999999999999, "payload": {}}',
        b'{"type": "OUTPUT_ACK", "id": "a", "timestamp": 1, "payload": {"seq": 1}} trailing',
        b"\xef\xbb\xbf" + encode(m.OutputAck(seq=1)),  # a BOM is not JSON
        b"[" * 100_000,
        b'{"type": "OUTPUT_ACK", "id": "\\ud800", "timestamp": 1, "payload": {"seq": 1}}',
        b'{"type": "OUTPUT_ACK", "id": "\xff\xfe", "timestamp": 1, "payload": {"seq": 1}}',
        b'{"type": "OUTPUT_\xc3", "id": "a", "timestamp": 1, "payload": {"seq": 1}}',
        "\ud800",  # a str that is not even encodable
        '{"type": "OUTPUT_ACK", "id": "\udcff", "timestamp": 1, "payload": {"seq": 1}}',
        None,
        12,
        ["a list"],
    ],
)
def test_unreadable_input_is_invalid_message(data: Any) -> None:
    err = refused(data, ErrorCode.INVALID_MESSAGE)
    assert err.message


@pytest.mark.parametrize("length", [0, codec.MAX_ID_LENGTH + 1, 1_000_000])
def test_envelope_id_length_is_bounded(length: int) -> None:
    err = refused(envelope("OUTPUT_ACK", {"seq": 1}, id="x" * length), ErrorCode.INVALID_MESSAGE)
    assert err.ref_id is None  # not echoed back: it is not a usable reference
    assert len(err.message) < 200


def test_longest_id_is_accepted() -> None:
    raw = envelope("OUTPUT_ACK", {"seq": 1}, id="x" * codec.MAX_ID_LENGTH)
    assert decode(raw).id == "x" * codec.MAX_ID_LENGTH


def test_unknown_type_names_it_and_the_envelope() -> None:
    err = refused(envelope("TELEPORT", {}), ErrorCode.UNKNOWN_TYPE)
    assert "TELEPORT" in err.message
    assert err.ref_id == "msg-1"
    assert err.to_payload() == m.Error(code="UNKNOWN_TYPE", message=err.message, ref_id="msg-1")


def test_huge_unknown_type_is_cut_short_in_the_error() -> None:
    err = refused(envelope("X" * 100_000, {}), ErrorCode.UNKNOWN_TYPE)
    assert len(err.message) < 200 and err.msg_type is not None and len(err.msg_type) <= 64


@pytest.mark.parametrize(
    ("spec", "expect"),
    [(s, A2S if s.direction is S2A else S2A) for s in SPECS],
    ids=lambda v: getattr(v, "type", None) or getattr(v, "name", ""),
)
@settings(max_examples=5)
@given(data=st.data())
def test_wrong_direction_is_refused(
    spec: codec.MessageSpec, expect: Direction, data: st.DataObject
) -> None:
    raw = encode(data.draw(payloads(spec.payload)))
    err = refused(raw, ErrorCode.WRONG_DIRECTION, expect=expect)
    assert err.msg_type == spec.type and err.ref_id


@pytest.mark.parametrize(
    ("type_", "payload"),
    [
        ("OUTPUT_ACK", {}),  # missing required field
        ("OUTPUT_ACK", {"seq": "1"}),  # wrong type
        ("OUTPUT_ACK", {"seq": True}),
        ("OUTPUT_ACK", {"seq": 1.0}),
        ("OUTPUT_ACK", {"seq": -1}),  # out of range
        ("OUTPUT_ACK", {"seq": 2**63}),  # bigger than the store can hold
        ("OUTPUT_ACK", {"seq": 10**40}),
        ("OUTPUT_ACK", []),
        ("OUTPUT_ACK", None),
        ("OUTPUT_ACK", "seq=1"),
        ("TERMINAL_OUTPUT", {"seq": 0, "data": "x"}),
        ("TERMINAL_OUTPUT", {"seq": 2**63, "data": "x"}),
        ("TERMINAL_OUTPUT", {"seq": 1, "data": None}),
        ("TERMINAL_OUTPUT", {"seq": 1, "data": "x", "commandId": "not-a-uuid"}),
        ("TERMINAL_OUTPUT", {"seq": 1, "data": "x", "commandId": "1" * 10_000}),
        ("TERMINAL_OUTPUT", {"seq": 1, "data": "x", "streamType": "STDIN"}),
        ("COMMAND_COMPLETE", {"seq": 1, "commandId": str(CID), "status": "EXECUTING"}),
        ("COMMAND_COMPLETE", {"seq": 1, "commandId": str(CID), "status": "DONE"}),
        (
            "COMMAND_COMPLETE",
            {"seq": 1, "commandId": str(CID), "status": "FAILED", "exitCode": 2**70},
        ),
        (
            "COMMAND_COMPLETE",
            {"seq": 1, "commandId": str(CID), "status": "FAILED", "durationMs": -5},
        ),
        ("AGENT_CONNECT", {"name": "sh1"}),
        ("AGENT_HEARTBEAT", {"health": {"cpuUsage": "high"}}),
        ("AGENT_ERROR", {"seq": 1, "code": "X" * 2000, "message": "m"}),
        ("TERMINAL_RESIZE", {"cols": 1, "rows": 10}),
        ("TERMINAL_RESIZE", {"cols": 80, "rows": 100_000}),
        ("COMMAND_REQUEST", {"commandId": str(CID), "content": "x", "priority": 101}),
        (
            "COMMAND_REQUEST",
            {"commandId": str(CID), "content": "x", "constraints": {"timeLimitMs": 0}},
        ),
    ],
)
def test_bad_payloads_are_invalid_message(type_: str, payload: Any) -> None:
    err = refused(envelope(type_, payload), ErrorCode.INVALID_MESSAGE)
    assert type_ in err.message
    assert err.ref_id == "msg-1" and err.msg_type == type_


def test_out_of_range_floats_are_invalid_message() -> None:
    raw = (
        b'{"type":"AGENT_HEARTBEAT","id":"a","timestamp":1,"payload":{"health":{"cpuUsage":1e400}}}'
    )
    err = refused(raw, ErrorCode.INVALID_MESSAGE)
    assert err.msg_type == "AGENT_HEARTBEAT"


@pytest.mark.parametrize(
    "name", ["", "-leading-dash", "has space", "x" * 65, "naïve", "a/b", "\ud800", "a\x00"]
)
def test_agent_names_are_validated(name: str) -> None:
    payload = {
        "name": name,
        "agentType": "SHELL",
        "instanceId": str(CID),
        "protocolVersion": 1,
    }
    refused(
        json.dumps(
            payload and {"type": "AGENT_CONNECT", "id": "a", "timestamp": 1, "payload": payload}
        ),
        ErrorCode.INVALID_MESSAGE,
    )


@pytest.mark.parametrize(
    "text",
    ["\\ud800", "\\udfff", "a\\ud83d", "\\ude00b", "\\ud83d\\ud83d", "\\udc00\\ud800"],
)
def test_lone_surrogate_escapes_are_refused(text: str) -> None:
    raw = b'{"type":"TERMINAL_OUTPUT","id":"a","timestamp":1,"payload":{"seq":1,"data":"%s"}}'
    refused(raw % text.encode(), ErrorCode.INVALID_MESSAGE)


def test_surrogate_pair_escapes_are_fine() -> None:
    raw = b'{"type":"TERMINAL_OUTPUT","id":"a","timestamp":1,"payload":{"seq":1,"data":"%s"}}'
    raw %= b"\\ud83d\\ude00"
    assert decode(raw).payload.data == "\U0001f600"


@pytest.mark.parametrize(
    "bad", [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xc0\xaf"]
)
def test_non_utf8_bytes_are_refused(bad: bytes) -> None:
    raw = b'{"type":"TERMINAL_OUTPUT","id":"a","timestamp":1,"payload":{"seq":1,"data":"x%sy"}}'
    refused(raw % bad, ErrorCode.INVALID_MESSAGE)


# --- versions ------------------------------------------------------------------------------------


def test_a_type_newer_than_the_negotiated_version_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    newer = dataclasses.replace(codec.BY_TYPE["TERMINAL_RESIZE"], since=PROTOCOL_VERSION + 1)
    monkeypatch.setitem(codec.BY_TYPE, "TERMINAL_RESIZE", newer)
    raw = encode(m.TerminalResize(cols=80, rows=24))
    err = refused(raw, ErrorCode.UNSUPPORTED_VERSION, negotiated_version=PROTOCOL_VERSION)
    assert err.msg_type == "TERMINAL_RESIZE" and str(PROTOCOL_VERSION + 1) in err.message
    env = decode(raw, negotiated_version=PROTOCOL_VERSION + 1)
    assert env.payload == m.TerminalResize(cols=80, rows=24)


def test_every_current_type_is_available_at_the_current_version() -> None:
    assert all(1 <= s.since <= PROTOCOL_VERSION for s in SPECS)


# --- fuzz ----------------------------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=200)


def _decode_or_protocol_error(data: Any, **kw: Any) -> None:
    try:
        env = decode(data, **kw)
    except ProtocolError as exc:
        assert isinstance(exc.code, ErrorCode) and isinstance(exc.message, str)
        # Whatever the input, the error can be sent back as an ERROR message.
        decode(encode(exc.to_payload()))
    else:
        assert env.type in codec.BY_TYPE
        # Whatever decodes can be encoded again and stored (no lone surrogates, bounded ints).
        msgspec.json.decode(encode(env.payload, msg_id=env.id)).__class__  # noqa: B018
        encode(env.payload).decode("utf-8")


@settings(max_examples=300)
@given(st.one_of(st.binary(max_size=300), ANY_TEXT))
def test_decode_of_arbitrary_input_raises_only_protocol_error(data: bytes | str) -> None:
    _decode_or_protocol_error(data)


@settings(max_examples=300)
@given(
    type_=st.one_of(st.sampled_from(sorted(codec.BY_TYPE)), ANY_TEXT),
    msg_id=st.one_of(ANY_TEXT, JSON_VALUES),
    timestamp=JSON_VALUES,
    payload=JSON_VALUES,
    expect=st.sampled_from([None, A2S, S2A]),
)
def test_decode_of_arbitrary_envelopes_raises_only_protocol_error(
    type_: str, msg_id: Any, timestamp: Any, payload: Any, expect: Direction | None
) -> None:
    env = {"type": type_, "id": msg_id, "timestamp": timestamp, "payload": payload}
    try:
        data = json.dumps(env).encode()
    except UnicodeEncodeError:
        data = json.dumps(env, ensure_ascii=True).encode()
    _decode_or_protocol_error(data, expect=expect)


@settings(max_examples=300)
@given(
    spec=st.sampled_from(SPECS),
    data=st.data(),
)
def test_mutated_valid_payloads_raise_only_protocol_error(
    spec: codec.MessageSpec, data: st.DataObject
) -> None:
    payload = msgspec.to_builtins(data.draw(payloads(spec.payload)))
    assert isinstance(payload, dict)
    if payload:
        key = data.draw(st.sampled_from(sorted(payload)))
        payload[key] = data.draw(JSON_VALUES)
    raw = json.dumps({"type": spec.type, "id": "a", "timestamp": 1, "payload": payload})
    _decode_or_protocol_error(raw.encode())

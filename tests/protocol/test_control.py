"""The control protocol (``/ws/control``): requests, params, replies, and bad input."""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onsembl_desktop.protocol import control as c
from onsembl_desktop.protocol.codec import ErrorCode, ProtocolError
from onsembl_desktop.protocol.enums import CommandType

from .strategies import JSON_VALUES

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=100)


def request(**fields: Any) -> bytes:
    req = {"id": "r1", "method": "commands.send", "params": {}, "timestamp": 1_700_000_000_000}
    req.update(fields)
    return json.dumps(req).encode()


def test_request_round_trips() -> None:
    req = c.ControlRequest(id="r1", method="agents.list", params={"x": [1]}, timestamp=5)
    assert c.decode_request(c.encode(req)) == req


def test_params_default_to_empty() -> None:
    req = c.decode_request(b'{"id":"r","method":"agents.list","timestamp":1}')
    assert req.params == {}
    assert c.parse_params(c.NoParams, req) == c.NoParams()


@pytest.mark.parametrize(
    "reply",
    [
        c.ControlResponse(id="r1", ok=True, result={"a": [1, "b", None]}),
        c.ControlResponse(id="r1", ok=False, error=c.ControlErrorInfo("REFUSED", "no")),
        c.ControlEvent(event="output", data={"seq": 1, "data": "\x1b[31mred"}),
        c.ControlEvent(event="done", data=None),
    ],
)
def test_replies_round_trip(reply: c.ControlResponse | c.ControlEvent) -> None:
    assert c.decode_reply(c.encode(reply)) == reply


def test_send_params_camel_case_and_defaults() -> None:
    cid = uuid.uuid4()
    req = c.decode_request(
        request(params={"content": "ls", "agents": ["a"], "timeLimitMs": 1000, "type": "PLAN"})
    )
    p = c.parse_params(c.SendParams, req)
    assert (p.content, p.agents, p.time_limit_ms, p.type) == ("ls", ["a"], 1000, CommandType.PLAN)
    assert p.priority == 50 and not p.all
    req = c.decode_request(request(params={"commandId": str(cid)}))
    assert c.parse_params(c.CommandIdParams, req).command_id == cid
    assert c.parse_params(c.SubscribeParams, req).from_start is True


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"nope",
        b"[]",
        b'{"method":"x","timestamp":1}',  # no id
        b'{"id":"","method":"x","timestamp":1}',
        b'{"id":"' + b"x" * 129 + b'","method":"x","timestamp":1}',
        b'{"id":"r","method":"' + b"m" * 65 + b'","timestamp":1}',
        b'{"id":"r","method":"x"}',  # no timestamp
        b'{"id":"r","method":"x","timestamp":"now"}',
        b'{"id":"r","method":"x","timestamp":-1}',
        b'{"id":"r","method":"x","timestamp":99999999999999999999999}',
        b'{"id":"r","method":"x","timestamp":1,"params":[1]}',
        b'{"id":"\\ud800","method":"x","timestamp":1}',
        b'{"id":"\xff","method":"x","timestamp":1}',
        "\udcff",
        None,
        3.5,
    ],
)
def test_bad_requests_are_invalid_message(data: Any) -> None:
    with pytest.raises(ProtocolError) as info:
        c.decode_request(data)
    assert info.value.code is ErrorCode.INVALID_MESSAGE


@pytest.mark.parametrize(
    ("params_type", "params"),
    [
        (c.SendParams, {}),  # content is required
        (c.SendParams, {"content": ""}),
        (c.SendParams, {"content": "x", "priority": 101}),
        (c.SendParams, {"content": "x", "priority": -1}),
        (c.SendParams, {"content": "x", "type": "DANCE"}),
        (c.SendParams, {"content": "x", "timeLimitMs": 0}),
        (c.SendParams, {"content": "x", "timeLimitMs": 2**63}),
        (c.SendParams, {"content": "x", "tokenBudget": 10**30}),
        (c.SendParams, {"content": "x", "agents": "sh1"}),
        (c.SendParams, {"content": "x", "agnets": ["sh1"]}),  # unknown params are typos
        (c.CommandIdParams, {"commandId": "nope"}),
        (c.CommandIdParams, {"commandId": 5}),
        (c.CommandIdParams, {}),
        (c.NoParams, {"extra": 1}),
    ],
)
def test_bad_params_are_invalid_message_naming_the_method(
    params_type: type[c.Params], params: dict[str, Any]
) -> None:
    req = c.decode_request(request(params=params))
    with pytest.raises(ProtocolError) as info:
        c.parse_params(params_type, req)
    assert info.value.code is ErrorCode.INVALID_MESSAGE
    assert "commands.send" in info.value.message and info.value.ref_id == "r1"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{}",
        b'{"id":"r"}',
        b'{"event":"x"}',
        b'{"id":"r","ok":"yes"}',
        b"\xff",
        "\ud800",
        None,
    ],
)
def test_bad_replies_are_invalid_message(data: Any) -> None:
    with pytest.raises(ProtocolError) as info:
        c.decode_reply(data)
    assert info.value.code is ErrorCode.INVALID_MESSAGE


@settings(max_examples=300)
@given(st.one_of(st.binary(max_size=200), ANY_TEXT))
def test_decoding_arbitrary_input_raises_only_protocol_error(data: bytes | str) -> None:
    for fn in (c.decode_request, c.decode_reply):
        with contextlib.suppress(ProtocolError):
            fn(data)


@settings(max_examples=300)
@given(
    req_id=JSON_VALUES,
    method=st.one_of(ANY_TEXT, JSON_VALUES),
    params=JSON_VALUES,
    timestamp=JSON_VALUES,
    params_type=st.sampled_from([c.NoParams, c.SendParams, c.CommandIdParams, c.SubscribeParams]),
)
def test_arbitrary_requests_and_params_raise_only_protocol_error(
    req_id: Any, method: Any, params: Any, timestamp: Any, params_type: type[c.Params]
) -> None:
    raw = json.dumps({"id": req_id, "method": method, "params": params, "timestamp": timestamp})
    try:
        req = c.decode_request(raw.encode())
        c.parse_params(params_type, req)
    except ProtocolError as exc:
        assert exc.code is ErrorCode.INVALID_MESSAGE


@settings(max_examples=200)
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "content",
                "agents",
                "all",
                "type",
                "priority",
                "timeLimitMs",
                "tokenBudget",
                "failIfOffline",
                "variables",
            ]
        ),
        JSON_VALUES,
    )
)
def test_send_params_that_parse_are_in_range(params: dict[str, Any]) -> None:
    req = c.ControlRequest(id="r", method="commands.send", params=params, timestamp=1)
    try:
        p = c.parse_params(c.SendParams, req)
    except ProtocolError:
        return
    assert p.content and 0 <= p.priority <= 100
    assert p.time_limit_ms is None or 1 <= p.time_limit_ms < 2**63
    msgspec.json.encode(p)

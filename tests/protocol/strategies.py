"""Hypothesis strategies built from the messages' own msgspec type information.

Every payload type gets a strategy of *valid* instances (respecting each field's bounds, patterns
and lengths), so new messages are covered the moment they are added to ``codec.SPECS``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import strategies as st

from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import CommandStatus

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def for_type(t: msgspec.inspect.Type) -> st.SearchStrategy[Any]:
    """A strategy of valid Python values for one msgspec type."""
    mi = msgspec.inspect
    if isinstance(t, mi.IntType):
        lo = t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else -(2**63))
        hi = t.le if t.le is not None else (t.lt - 1 if t.lt is not None else 2**63 - 1)
        return st.integers(min_value=lo, max_value=hi)
    if isinstance(t, mi.FloatType):
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.StrType):
        if t.pattern is not None:
            return st.from_regex(t.pattern, fullmatch=True)
        return st.text(min_size=t.min_length or 0, max_size=min(t.max_length or 30, 30))
    if isinstance(t, mi.UUIDType):
        return st.uuids()
    if isinstance(t, mi.EnumType):
        return st.sampled_from(list(t.cls))
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.UnionType):
        return st.one_of(*(for_type(x) for x in t.types))
    if isinstance(t, mi.ListType):
        return st.lists(for_type(t.item_type), max_size=3)
    if isinstance(t, mi.DictType):
        return st.dictionaries(for_type(t.key_type), for_type(t.value_type), max_size=3)
    if isinstance(t, mi.AnyType):
        return JSON_VALUES
    if isinstance(t, mi.StructType):
        return payloads(t.cls)
    raise NotImplementedError(f"no strategy for {t!r}")


def payloads(cls: type[Any]) -> st.SearchStrategy[Any]:
    """Valid instances of a payload Struct (optional fields sometimes left at their default)."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for f in info.fields:
        value = for_type(f.type)
        if cls is m.CommandComplete and f.name == "status":
            value = st.sampled_from([s for s in CommandStatus if s.is_final])
        kwargs[f.name] = value if f.required else st.one_of(st.just(msgspec.UNSET), value)

    def build(values: dict[str, Any]) -> Any:
        return cls(**{k: v for k, v in values.items() if v is not msgspec.UNSET})

    return st.fixed_dictionaries(kwargs).map(build)

"""Stored record data is canonical JSON: orjson writes it, byte for byte what the json module
wrote before (but for a float's exponent), and the json module still writes what orjson
cannot; NaN and infinities never get that far."""

from __future__ import annotations

import json
import math

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oa_server import sync_batch
from oa_server.sync_batch import dumps, finite, finite_json, loads

_STDLIB = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode

# text as a desk sends it (any character but a lone surrogate), ints within 64 bits
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)))
_LEAVES = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _TEXT
_VALUES = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(_TEXT, inner, max_size=4), max_leaves=24)


@given(_VALUES)
def test_dumps_writes_what_the_json_module_wrote(value):
    assert dumps(value) == _STDLIB(value)


@given(st.dictionaries(_TEXT, st.floats(allow_nan=False, allow_infinity=False), max_size=6))
def test_a_finite_float_reads_back_as_the_same_number(value):
    assert loads(dumps(value)) == value
    assert json.loads(dumps(value)) == json.loads(_STDLIB(value))


@pytest.mark.parametrize("value", [
    {"big": 2**70, "small": -(2**64)},  # past 64 bits: orjson refuses, the json module writes
    {"lone": "\ud800 半个代理"},  # a lone surrogate (a forged desk's \\ud800)
    {2: "keys that are numbers", 1: "written as text"},
])
def test_what_orjson_cannot_write_goes_to_the_json_module(value):
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    assert dumps(value) == _STDLIB(value)


def test_without_orjson_the_json_module_writes_it_all(monkeypatch):
    monkeypatch.setattr(sync_batch, "orjson", None)
    value = {"标题": "通知", "n": [1, 2.5, None]}
    assert dumps(value) == _STDLIB(value)
    assert not finite_json(b'{"n": 1}')  # cannot tell: the values are looked at instead


@pytest.mark.parametrize("text", [b'{"v": NaN}', b'{"v": [1, {"w": -Infinity}]}',
                                  b'{"v": 1e400}', b'{"v": 1' + b"0" * 400 + b".0}"])
def test_non_finite_numbers_are_told_apart(text):
    assert not finite_json(text)
    assert not finite(json.loads(text))


def test_finite_values_pass():
    value = {"a": [1, 2.5, {"b": -1e308, "c": "NaN"}], "d": 2**60}
    assert finite_json(json.dumps(value).encode())
    assert finite(value)
    assert not finite({"a": [{"b": [math.nan]}]})


def test_an_integer_past_a_float_is_looked_at_and_kept():
    """orjson reads 1 and 400 zeros as a float too large: the values are looked at instead,
    and the number is whole and finite."""
    text = b'{"v": 1' + b"0" * 400 + b"}"
    assert not finite_json(text)
    value = json.loads(text)
    assert finite(value) and loads(dumps(value)) == value

"""A pull page is written as JSON by hand (stored data spliced in): it must read back as
exactly the PullResponse the rows describe, whatever the ids contain."""

from __future__ import annotations

import json

import pytest

from oa_server.sync_service import PullPage
from sync.protocol import PullResponse
from sync.pull_page import PulledPage, read_pull


def _page(rows: list[tuple]) -> PullPage:
    return PullPage(server_id="srv-1", rows=rows, next_cursor=9, has_more=True, high_water=12,
                    server_time="2026-11-22T08:00:00+00:00")


def test_rows_read_back_as_the_protocol_model() -> None:
    odd = 'id "quoted" \\ back\tslash 中文 \u2028'
    rows = [
        ("documents", "doc-1", 7, False, json.dumps({"title": "关于\"防汛\"的通知", "n": 1},
                                                     ensure_ascii=False), True),
        ("documents", odd, 8, False, '{"title":"x"}', True),
        ("meetings", "m-1", 9, True, '{"title":"gone"}', True),   # deleted: a tombstone
        ("meetings", "m-2", 10, False, '{"title":"hidden"}', False),  # lost sight: tombstone
    ]
    page = PullResponse.model_validate_json(_page(rows).to_json())
    assert (page.server_id, page.next_cursor, page.has_more, page.high_water) == (
        "srv-1", 9, True, 12)
    got = [(c.collection, c.id, c.rev, c.deleted, c.data) for c in page.changes]
    assert got == [
        ("documents", "doc-1", 7, False, {"title": "关于\"防汛\"的通知", "n": 1}),
        ("documents", odd, 8, False, {"title": "x"}),
        ("meetings", "m-1", 9, True, {}),
        ("meetings", "m-2", 10, True, {}),
    ]


def test_an_empty_page_is_valid_json() -> None:
    body = json.loads(_page([]).to_json())
    assert body["changes"] == [] and body["high_water"] == 12


def _fields(page) -> tuple:
    return (page.server_id, page.next_cursor, page.has_more, page.high_water, page.server_time,
            [(c.collection, c.id, c.rev, c.deleted, c.data) for c in page.changes])


def test_the_client_reads_a_server_page_as_the_protocol_model_does() -> None:
    odd = 'id "quoted" \\ back\tslash 中文 \u2028'
    rows = [
        ("documents", "doc-1", 7, False, json.dumps(
            {"title": "关于\"防汛\"的通知", "n": 1, "f": 2.5, "big": 2**63 - 1, "none": None,
             "list": [1, "二", {"三": [True, False]}]}, ensure_ascii=False), True),
        ("documents", odd, 8, False, '{"title":"x"}', True),
        ("meetings", "m-1", 9, True, '{"title":"gone"}', True),
        ("meetings", "m-2", 10, False, '{"title":"hidden"}', False),
    ]
    raw = _page(rows).to_json()
    page = read_pull(raw)
    assert isinstance(page, PulledPage)  # the usual shape: read without a model per record
    assert _fields(page) == _fields(PullResponse.model_validate_json(raw))
    kept = PullResponse.model_validate_json(raw).changes[0].model_dump_json()
    assert page.changes[0].model_dump_json() == kept


def test_an_unusual_page_is_judged_by_the_protocol_model() -> None:
    """Anything but the server's usual shape gets exactly the model's answer: the same
    coercions where it accepts, a ValueError where it refuses."""
    usual = json.loads(_page([("documents", "d1", 7, False, '{"title":"x"}', True)]).to_json())

    def variant(**change) -> bytes:
        body = json.loads(json.dumps(usual))
        body["changes"][0].update(change)
        return json.dumps(body, ensure_ascii=False).encode()

    no_data = json.loads(json.dumps(usual))
    del no_data["changes"][0]["data"]
    accepted = [variant(rev="7"), variant(rev=7.0), json.dumps(no_data).encode(),
                json.dumps({**usual, "next_cursor": "9"}).encode(),
                variant(rev=2**70)]  # past what orjson reads: the model takes it
    for raw in accepted:
        assert _fields(read_pull(raw)) == _fields(PullResponse.model_validate_json(raw))
    assert read_pull(accepted[2]).changes[0].data == {}
    refused = [variant(extra=1), variant(rev="seven"), variant(data=[1]), variant(id=None),
               json.dumps({**usual, "more": True}).encode(),
               json.dumps({k: v for k, v in usual.items() if k != "high_water"}).encode(),
               _page([]).to_json()[:-3], b"[]", b""]
    for raw in refused:
        with pytest.raises(ValueError):
            PullResponse.model_validate_json(raw)
        with pytest.raises(ValueError):
            read_pull(raw)

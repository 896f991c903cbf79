"""A pull page is written as JSON by hand (stored data spliced in): it must read back as
exactly the PullResponse the rows describe, whatever the ids contain."""

from __future__ import annotations

import json

from oa_server.sync_service import PullPage
from sync.protocol import PullResponse


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

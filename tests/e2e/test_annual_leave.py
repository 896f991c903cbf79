"""年休假 is checked against the balance the server holds: two desks of one person, both
offline, cannot each spend the same days; the second submission is refused and kept."""

from __future__ import annotations

from datetime import UTC, date, datetime

from oa_client.domain.catalogue import STARTER_CATALOGUE
from oa_client.services import requests as rq
from oa_client.services.conflicts import open_conflicts
from sync.org import fetch_org
from tests.core.test_catalogue import FILLED
from tests.sync.conftest import server, sync_template  # noqa: F401
from tests.sync.support import make_client

APPLICANT = "lixiaolong"
TODAY = date(2026, 11, 20)


def _desk(server, tmp_path, name):  # noqa: F811
    client = make_client(server, tmp_path, APPLICANT, name=name)
    fetch_org(client.store, client.transport)
    client.engine.sync()
    return client


def _annual_leave(client, start: str, end: str) -> str:
    entry = next(e for e in rq.catalogue(client.store) if e.item.code == "LEAVE")
    me = str(client.transport.user["id"])
    draft = rq.new_draft(client.store, record_id=entry.record_id, user_id=me, today=TODAY)
    form = {**draft["form"], **FILLED["LEAVE"], "start_date": start, "end_date": end}
    rq.submit(client.store, draft["id"], user_id=me, values=form, today=TODAY)
    return draft["id"]


def test_two_offline_desks_cannot_spend_the_same_annual_leave(server, tmp_path):  # noqa: F811
    server.clock.now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    admin = make_client(server, tmp_path, "huangwei")
    admin.transport.request("POST", "/catalogue/import", data=STARTER_CATALOGUE.read_bytes(),
                            headers={"Content-Type": "application/json"})
    office, laptop = _desk(server, tmp_path, "office"), _desk(server, tmp_path, "laptop")
    me = str(office.transport.user["id"])
    assert rq.leave_balance(office.store, user_id=me, today=TODAY) == 10
    # each desk, offline, sees ten days left and asks for six
    first = _annual_leave(office, "2026-11-23", "2026-11-30")
    second = _annual_leave(laptop, "2026-12-01", "2026-12-08")
    assert office.engine.sync().rejected == 0
    assert office.store.records.get("requests", first)["state"] == "submitted"
    report = laptop.engine.sync()
    assert report.rejected >= 1
    refused = [c for c in open_conflicts(laptop.store) if c.entity == "request_events"]
    assert refused and "超过了剩余年休假天数" in refused[0].message
    assert laptop.store.records.get("requests", second)["state"] == "draft"  # kept, not sent
    laptop.engine.sync()
    assert rq.leave_balance(laptop.store, user_id=me, today=TODAY) == 4  # the first one counts
    for c in (admin, office, laptop):
        c.close()

"""Live updates across servers sharing PostgreSQL: a push served by one wakes a desk waiting
on another, through `NOTIFY oa_revisions` sent in the push's transaction and the other
server's listening connection (oa_server.live_pg)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from oa_client.services import records as svc
from oa_server import live
from tests.server import postgres
from tests.sync.support import LiveServer, ProcessServer, live_records, make_client
from tests.sync.test_live_wait import LONG, Waiter, until_waiting

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(pg_admin: str, pg_template: str) -> Iterator[str]:
    """This test's own database."""
    name = postgres.unique_name("oa_live")
    yield postgres.create_database(pg_admin, name, template=pg_template)
    postgres.drop_database(pg_admin, name)


@pytest.fixture
def two_servers(pg_url: str, tmp_path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two servers (each its own engine, hub and listening connection) on one database:
    nothing in the process joins them but PostgreSQL."""
    servers = []
    for name in ("a", "b"):
        data_dir = tmp_path / f"server-{name}"
        data_dir.mkdir()
        servers.append(LiveServer(data_dir, pg_url).start())
    yield servers[0], servers[1]
    for s in servers:
        s.stop()


def _pushed_draft(drafter, title: str) -> str:
    """A draft saved on `drafter`'s desk and pushed to its server: its id."""
    doc = str(uuid.uuid4())
    svc.save(drafter.store, "documents", {"id": doc, "direction": "outgoing",
                                          "title": title, "body": "x"})
    drafter.engine.sync()
    return doc


def test_a_push_to_one_server_wakes_a_desk_waiting_on_another(two_servers, tmp_path):
    a, b = two_servers
    me = make_client(b, tmp_path, "zhengxiaoyan")  # 科长 of the drafter's section
    drafter = make_client(a, tmp_path, "liuyang")
    hub_b = live.hub_for(b.app.state.engine)
    hw = me.transport.pull(0).high_water
    waiter = Waiter(me, hw)
    waiter.start()
    until_waiting(hub_b, 1)  # asleep on b, its LISTEN in place
    doc = _pushed_draft(drafter, "请科长核稿")  # pushed to a
    assert waiter.done.wait(LONG * 2)
    assert waiter.answer.changed and waiter.answer.high_water > hw
    assert hub_b.stats["woken"] == 1 and hub_b.stats["timed_out"] == 0  # by the notice
    me.engine.sync()
    assert doc in live_records(me.store)
    me.close()
    drafter.close()


def test_a_notice_through_postgresql_wakes_only_the_desks_that_may_see_it(two_servers,
                                                                           tmp_path):
    a, b = two_servers
    me = make_client(b, tmp_path, "caiweidong")  # 印章管理员: no reading role
    chief = make_client(b, tmp_path, "zhengxiaoyan")  # 科长 of the drafter's section
    drafter = make_client(a, tmp_path, "liuyang")
    hub_b = live.hub_for(b.app.state.engine)
    hw = me.transport.pull(0).high_water
    mine, theirs = Waiter(me, hw, timeout=3.0), Waiter(chief, hw)
    mine.start()
    theirs.start()
    until_waiting(hub_b, 2)
    doc = _pushed_draft(drafter, "草稿")
    assert theirs.done.wait(LONG * 2) and theirs.answer.changed
    assert mine.done.wait(LONG * 2) and not mine.answer.changed  # slept to its timeout
    assert hub_b.stats["woken"] == 1 and hub_b.stats["unheard"] == 0
    assert doc not in {c.id for c in me.transport.pull(hw).changes}
    for client in (me, chief, drafter):
        client.close()


def test_a_desk_is_told_quiet_past_what_another_server_wrote_for_others(two_servers,
                                                                          tmp_path):
    """A push served by one server, heard by the other through PostgreSQL: a desk of another
    unit waiting there is told at its timeout that nothing of its changed up to it."""
    a, b = two_servers
    me = make_client(b, tmp_path, "chenmeiling")  # 财政局预算股
    drafter = make_client(a, tmp_path, "liuyang")  # 秘书科
    hub_b = live.hub_for(b.app.state.engine)
    hw = me.transport.pull(0).high_water
    _pushed_draft(drafter, "秘书科的稿")
    top = drafter.transport.pull(0).high_water
    answer = me.transport.wait(hw, timeout=2.0, quiet=True)
    assert not answer.changed and answer.quiet_until == top > hw
    assert hub_b.stats["unheard"] == 0  # vouched for by the notice, not by a read
    assert me.transport.pull(hw).changes == []  # what a pull of the span would have said
    me.close()
    drafter.close()


def test_a_digest_kept_on_one_server_yields_to_a_push_served_by_another(two_servers,
                                                                         tmp_path):
    """The digest a server keeps for a user stands only while its hub vouches that nothing
    of the user's moved: a draft pushed to the other server is in the next digest."""
    a, b = two_servers
    me = make_client(b, tmp_path, "zhengxiaoyan")  # 科长 of the drafter's section
    drafter = make_client(a, tmp_path, "liuyang")
    before = me.transport.digest().collections.get("documents")
    assert me.transport.digest().collections.get("documents") == before  # kept
    _pushed_draft(drafter, "请科长核稿")  # to a
    after = me.transport.digest().collections["documents"]
    assert after.count == (before.count if before else 0) + 1
    me.close()
    drafter.close()


def test_a_server_that_stopped_hearing_wakes_only_the_readers(two_servers, tmp_path):
    """Its listening connection gone, a server finds a push served elsewhere at its waits'
    timeouts, reads who may see it, and answers those desks alone."""
    a, b = two_servers
    me = make_client(b, tmp_path, "caiweidong")  # 印章管理员: no reading role
    chief = make_client(b, tmp_path, "zhengxiaoyan")  # 科长 of the drafter's section
    drafter = make_client(a, tmp_path, "liuyang")
    hub_b = live.hub_for(b.app.state.engine)
    hw = me.transport.pull(0).high_water
    hub_b.listener.stop()  # (its thread ends within a second, the connection with it)
    hub_b.listener._thread.join(5)
    mine, theirs = Waiter(me, hw, timeout=5.0), Waiter(chief, hw, timeout=5.0)
    mine.start()
    theirs.start()
    until_waiting(hub_b, 2)
    _pushed_draft(drafter, "草稿")
    assert theirs.done.wait(LONG * 2) and mine.done.wait(LONG * 2)
    # found by the first wait to time out (either: the outsider's check, reading the span,
    # wakes the reader), read once, and news for the reader alone
    assert theirs.answer.changed and theirs.answer.high_water > hw
    assert not mine.answer.changed  # not its news: it was not sent to pull
    assert hub_b.stats["unheard"] == 1 and hub_b.stats["timed_out"] >= 1
    for client in (me, chief, drafter):
        client.close()


def test_two_server_processes_share_their_news(pg_url, tmp_path):
    """`oa-server serve` twice on one database: a push to the first answers a desk waiting
    on the second (well before its wait's own timeout)."""
    servers = []
    for name in ("a", "b"):
        data_dir = tmp_path / f"proc-{name}" / "server"
        data_dir.mkdir(parents=True)
        servers.append(ProcessServer(data_dir, pg_url, data_dir.parent / "serve.log",
                                     workers=1).start())
    a, b = servers
    try:
        me = make_client(b, tmp_path, "zhengxiaoyan")
        drafter = make_client(a, tmp_path, "liuyang")
        hw = me.transport.pull(0).high_water
        me.transport.wait(hw, timeout=0)  # b's listening connection is up from here
        waiter = Waiter(me, hw)
        waiter.start()
        svc.save(drafter.store, "documents", {"direction": "outgoing", "title": "x", "body": "x"})
        drafter.engine.sync()
        assert waiter.done.wait(LONG / 2)  # the wait itself would last LONG
        assert waiter.answer.changed and waiter.answer.high_water > hw
        me.close()
        drafter.close()
    finally:
        for s in servers:
            s.stop()

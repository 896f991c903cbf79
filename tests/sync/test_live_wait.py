"""Live updates without polling (`/sync/wait`, oa_server.live): a push wakes the desks
waiting that may see what it wrote, and only those; waiting holds no thread and sends the
database nothing.

Each test reads the server's hub (`live.hub_for(engine)`): how many waits are in progress
(a condition to wait on, not a clock) and how each wait was answered — woken by a notice,
or at its timeout by the safety re-check."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import event

from oa_server import live
from oa_server.db import make_engine
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.sync.support import live_records, make_client, server_put

LONG = 30.0  # the longest wait the server allows: an answer before it is a wake-up


def hub_of(server) -> live.RevisionHub:
    """The live-update hub of an in-thread server."""
    return live.hub_for(server.app.state.engine)


def until_waiting(hub: live.RevisionHub, n: int) -> None:
    """Return once `n` waits are asleep in the hub (a condition, not a clock)."""
    with hub.changed:
        assert hub.changed.wait_for(lambda: hub.waiting >= n, timeout=120), hub.waiting


class Waiter(threading.Thread):
    """A desk's long-poll on its own thread; `done` is set when it is answered."""

    def __init__(self, client, cursor: int, timeout: float = LONG) -> None:
        super().__init__(daemon=True)
        self.client, self.cursor, self.timeout = client, cursor, timeout
        self.done = threading.Event()
        self.answer = None

    def run(self) -> None:
        try:
            self.answer = self.client.transport.wait(self.cursor, timeout=self.timeout)
        finally:
            self.done.set()


def counting(engine) -> dict:
    """Count every statement the engine sends from now on."""
    counts = {"n": 0}

    def _count(*_args) -> None:
        counts["n"] += 1

    event.listen(engine, "before_cursor_execute", _count)
    return counts


def test_a_push_wakes_a_desk_waiting_on_the_same_server(server, tmp_path):
    me = make_client(server, tmp_path, "zhengxiaoyan")  # 科长 of the drafter's section
    drafter = make_client(server, tmp_path, "liuyang")
    hub = hub_of(server)
    hw = me.transport.pull(0).high_water
    waiter = Waiter(me, hw)
    waiter.start()
    until_waiting(hub, 1)
    server_put(server, drafter, [("documents", str(uuid.uuid4()),
                                  {"direction": "outgoing", "title": "新待办", "body": "x"})])
    assert waiter.done.wait(LONG * 2)
    assert waiter.answer.changed and waiter.answer.high_water == hw + 1
    assert hub.stats["woken"] == 1 and hub.stats["timed_out"] == 0  # by the notice, not the clock
    me.close()
    drafter.close()


def test_a_desk_sleeps_through_a_change_it_may_not_see(server, tmp_path):
    me = make_client(server, tmp_path, "caiweidong")  # 印章管理员: no reading role
    drafter = make_client(server, tmp_path, "liuyang")
    again = make_client(server, tmp_path, "liuyang", name="liuyang-laptop")  # his other desk
    me.engine.sync()
    hub = hub_of(server)
    hw = me.transport.pull(0).high_water
    mine, theirs = Waiter(me, hw, timeout=3.0), Waiter(again, hw)
    mine.start()
    theirs.start()
    until_waiting(hub, 2)
    secret = str(uuid.uuid4())  # a colleague's draft: its drafter's and 科长's, not ours
    server_put(server, drafter, [("documents", secret,
                                  {"direction": "outgoing", "title": "不给你看", "body": "x"})])
    assert theirs.done.wait(LONG * 2) and theirs.answer.changed  # the drafter's other desk
    assert hub.stats["woken"] == 1
    assert mine.done.wait(LONG * 2)
    assert not mine.answer.changed  # asleep to its timeout: nothing of it is ours …
    assert mine.answer.high_water == hw + 1  # … though the tenant moved on
    assert hub.stats["woken"] == 1 and hub.stats["timed_out"] == 1
    assert secret not in {c.id for c in me.transport.pull(hw).changes}
    me.engine.sync()
    assert secret not in live_records(me.store)
    drafter.engine.sync()
    assert secret in live_records(drafter.store)  # its drafter sees it
    for client in (me, drafter, again):
        client.close()


def test_an_idle_wait_sends_the_database_nothing(server, tmp_path):
    me = make_client(server, tmp_path, "liuyang")
    hub = hub_of(server)
    hw = me.transport.pull(0).high_water
    waiters = [Waiter(me, hw) for _ in range(20)]
    for w in waiters:
        w.start()
    until_waiting(hub, 20)
    counts = counting(server.app.state.engine)
    time.sleep(1.5)  # an observation window (polling read the database twice a second per desk)
    assert counts["n"] == 0 and hub.waiting == 20
    reads = hub.stats["reads"]
    server_put(server, me, [("documents", str(uuid.uuid4()),
                             {"direction": "outgoing", "title": "唤醒", "body": "x"})])
    for w in waiters:
        assert w.done.wait(LONG * 2) and w.answer.changed
    assert hub.stats["reads"] - reads < 20  # one read answers many woken desks
    me.close()


def _written_elsewhere(server, drafter, title: str) -> str:
    """A draft of `drafter`'s written through another engine, as another server process
    would (on SQLite no notice reaches this one; on PostgreSQL, a listener away): its id."""
    rid = str(uuid.uuid4())
    elsewhere = make_engine(server.app.state.engine.url.render_as_string(hide_password=False))
    try:
        server_put(server, drafter, [("documents", rid, {"direction": "outgoing",
                                                         "title": title, "body": "x"})],
                   bind=elsewhere)
    finally:
        elsewhere.dispose()
    return rid


def test_a_change_no_notice_told_of_wakes_its_readers_alone(server, tmp_path):
    """Found at a wait's timeout, a write this process never heard of is counted as its
    notice would have been: the audience of what it wrote is read (once), the desks that may
    see it pull, and the others sleep on — a worker that stops hearing notices does not send
    every desk it holds to pull."""
    reader = make_client(server, tmp_path, "zhengxiaoyan")  # 科长 of the drafter's section
    outsider = make_client(server, tmp_path, "caiweidong")  # 印章管理员: no reading role
    drafter = make_client(server, tmp_path, "liuyang")
    hub = hub_of(server)
    hw = reader.transport.pull(0).high_water
    assert hub.heard == hw  # the process vouches from its start …
    rid = _written_elsewhere(server, drafter, "另一进程写入")  # … and another moves it unheard
    timed_out = hub.stats["timed_out"]
    theirs = reader.transport.wait(hw, timeout=0.5)  # the check at its timeout finds it
    assert theirs.changed and theirs.high_water == hw + 1
    assert hub.stats["timed_out"] == timed_out + 1 and hub.stats["unheard"] == 1
    mine = outsider.transport.wait(hw, timeout=0.5)
    assert not mine.changed and mine.high_water == hw + 1  # not its news: it slept on
    assert hub.stats["unheard"] == 1  # the span's audience was read once
    assert rid in {c.id for c in reader.transport.pull(hw).changes}
    assert rid not in {c.id for c in outsider.transport.pull(hw).changes}
    for client in (reader, outsider, drafter):
        client.close()


def test_a_listener_back_wakes_the_readers_of_what_it_missed(server, tmp_path):
    """Told that notices may have gone by (its listening connection is back), a server reads
    what was written meanwhile and wakes the desks that may see it, not every desk."""
    reader = make_client(server, tmp_path, "zhengxiaoyan")
    outsider = make_client(server, tmp_path, "caiweidong")
    drafter = make_client(server, tmp_path, "liuyang")
    hub = hub_of(server)
    hw = reader.transport.pull(0).high_water
    mine, theirs = Waiter(outsider, hw, timeout=3.0), Waiter(reader, hw)
    mine.start()
    theirs.start()
    until_waiting(hub, 2)
    _written_elsewhere(server, drafter, "断线期间写入")
    hub.notice(None)  # what the listener says once it has reconnected
    assert theirs.done.wait(LONG * 2)
    assert theirs.answer.changed and theirs.answer.high_water == hw + 1
    assert hub.stats["woken"] == 1  # at once, not at its timeout
    assert mine.done.wait(LONG * 2) and not mine.answer.changed  # slept to its timeout
    assert hub.heard == hw + 1 and hub.anyones < hw + 1
    for client in (reader, outsider, drafter):
        client.close()


def test_unheard_revisions_too_many_to_name_are_anyones_news(server, tmp_path, monkeypatch):
    """A span of unheard revisions longer than a notice may name wakes every desk once."""
    outsider = make_client(server, tmp_path, "caiweidong")
    drafter = make_client(server, tmp_path, "liuyang")
    hub = hub_of(server)
    hw = outsider.transport.pull(0).high_water
    monkeypatch.setattr(live, "MAX_SPAN", 0)  # one revision is already too many
    _written_elsewhere(server, drafter, "另一进程写入")
    answer = outsider.transport.wait(hw, timeout=0.5)
    assert answer.changed and answer.high_water == hw + 1  # anyone's news: it may be ours
    assert hub.anyones == hw + 1
    assert not outsider.transport.wait(hw + 1, timeout=0.5).changed  # then quiet again
    outsider.close()
    drafter.close()


def test_three_hundred_waits_leave_a_pull_its_answer(server, tmp_path):
    me = make_client(server, tmp_path, "liuyang")
    hub = hub_of(server)
    hw = me.transport.pull(0).high_water
    headers = {"Authorization": f"Bearer {me.transport.access_token}",
               PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
    n = 300

    async def scenario() -> tuple[int, int, list[dict]]:
        limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n + 10)
        async with httpx.AsyncClient(base_url=server.url + "/api/v1", headers=headers,
                                     limits=limits, timeout=LONG * 3) as http:
            waits = [asyncio.create_task(http.get("/sync/wait",
                                                  params={"cursor": hw, "timeout": LONG}))
                     for _ in range(n)]
            await asyncio.to_thread(until_waiting, hub, n)
            pull = await http.get("/sync/pull", params={"cursor": 0, "limit": 10})
            still = hub.waiting  # the pull was answered while every wait still sleeps
            await asyncio.to_thread(server_put, server, me, [
                ("documents", str(uuid.uuid4()), {"direction": "outgoing", "title": "x",
                                                  "body": "x"})])
            answers = await asyncio.gather(*waits)
            return pull.status_code, still, [a.json() for a in answers]

    status, still, answers = asyncio.run(scenario())
    assert status == 200 and still == n
    assert len(answers) == n and all(a["changed"] and a["high_water"] == hw + 1 for a in answers)
    assert hub.stats["timed_out"] == 0
    me.close()


@pytest.mark.parametrize("ahead", [0, 5])
def test_a_quiet_wait_answers_unchanged_at_its_timeout(server, tmp_path, ahead):
    me = make_client(server, tmp_path, "liuyang")
    hw = me.transport.pull(0).high_water
    answer = me.transport.wait(hw + ahead, timeout=0.2)
    assert not answer.changed and answer.high_water == hw
    me.close()


def test_a_notice_names_revisions_and_the_principals_of_their_audiences():
    payload = live.encode(42, 40, {"user:a", "unitrole:u:clerk"})
    assert live.decode(payload) == (42, 40, frozenset({"user:a", "unitrole:u:clerk"}))
    assert live.decode("42") == (42, None, None)  # an audience unknown: anyone's news
    assert live.decode("garbled") == (None, None, None)  # read the revision again
    crowd = {f"user:{uuid.uuid4()}" for _ in range(300)}  # too many for one NOTIFY
    assert live.encode(42, 40, crowd) == "42"
    assert len(live.encode(42, 40, set(list(crowd)[:100])).encode()) < 8000


def test_a_wait_after_a_notice_for_unheard_revisions_counts_them_as_anyones(server, tmp_path):
    """A notice whose range starts past what this process heard (a write no notice told
    of came between) wakes every desk, not only its audience's."""
    me = make_client(server, tmp_path, "caiweidong")
    hub = hub_of(server)
    hw = me.transport.pull(0).high_water
    waiter = Waiter(me, hw)
    waiter.start()
    until_waiting(hub, 1)
    hub.notify(hw + 2, hw + 1, frozenset({"user:nobody"}))  # hw+1 was never heard of
    assert waiter.done.wait(LONG * 2)
    assert waiter.answer.changed and waiter.answer.high_water == hw + 2
    me.close()


def test_a_desks_next_long_poll_skips_the_sign_in_check(server, tmp_path):
    me = make_client(server, tmp_path, "zhengxiaoyan")
    drafter = make_client(server, tmp_path, "liuyang")
    hub = hub_of(server)
    hw = me.transport.pull(0).high_water
    assert not me.transport.wait(hw, timeout=0).changed  # checked in full, remembered
    counts = counting(server.app.state.engine)
    waiter = Waiter(me, hw)
    waiter.start()
    until_waiting(hub, 1)
    assert counts["n"] == 0  # the sign-in vouched for: not one statement to start waiting
    server_put(server, drafter, [("documents", str(uuid.uuid4()),
                                  {"direction": "outgoing", "title": "核稿", "body": "x"})])
    assert waiter.done.wait(LONG * 2) and waiter.answer.changed
    assert server.app.state.wait_signins.stats["vouched"] == 1
    me.close()
    drafter.close()


def _signed_out_after_a_wait(server, tmp_path, phase: float):
    """A desk whose wait was checked in full (and remembered) by a worker `phase` s into its
    minute on a clock the test moves, then signed out: (clock, wait, client)."""
    from oa_server import wait_signins

    clock = [0.0]
    server.app.state.wait_signins = wait_signins.SignIns(clock=lambda: clock[0], phase=phase)
    me = make_client(server, tmp_path, "liuyang")
    hw = me.transport.pull(0).high_water
    headers = {"Authorization": f"Bearer {me.transport.access_token}",
               PROTOCOL_HEADER: str(PROTOCOL_VERSION)}

    def wait() -> httpx.Response:
        return httpx.get(f"{server.url}/api/v1/sync/wait", params={"cursor": hw, "timeout": 0},
                         headers=headers, timeout=LONG)

    assert wait().status_code == 200  # checked in full, remembered
    assert httpx.post(f"{server.url}/api/v1/auth/logout", headers=headers,
                      timeout=LONG).status_code == 204
    return clock, wait, me


def test_a_signed_out_desks_long_poll_is_refused_within_the_minute(server, tmp_path):
    from oa_server import wait_signins

    clock, wait, me = _signed_out_after_a_wait(server, tmp_path, phase=0.0)
    assert wait().status_code == 200  # vouched for, until the minute is up …
    clock[0] += wait_signins.REFRESH_S
    refused = wait()  # … then all are re-read at once, this one found signed out
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    stats = server.app.state.wait_signins.stats
    assert stats["rechecks"] == 1 and stats["forgotten"] == 1
    me.close()


def test_a_worker_started_at_a_later_phase_re_reads_its_sign_ins_sooner(server, tmp_path):
    """Workers started together re-read at phases of their own, each still within the minute:
    one 45 s into its minute refuses a signed-out desk 15 s on."""
    clock, wait, me = _signed_out_after_a_wait(server, tmp_path, phase=45.0)
    clock[0] += 14.0
    assert wait().status_code == 200  # vouched for: 59 s into this worker's minute
    clock[0] += 1.0
    refused = wait()
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    me.close()


def test_workers_left_to_chance_start_their_minutes_at_different_phases():
    from oa_server import wait_signins

    due = set()
    for _ in range(20):
        signins = wait_signins.SignIns(clock=lambda: 100.0)
        due.add(round(signins._checked_at, 6))
    assert len(due) > 10  # spread, not all re-reading at one moment
    assert all(100.0 - wait_signins.REFRESH_S <= at <= 100.0 for at in due)  # within the minute


def _draft(server, client, title: str) -> str:
    rid = str(uuid.uuid4())
    server_put(server, client, [("documents", rid, {"direction": "outgoing", "title": title,
                                                    "body": "x"})])
    return rid


def test_a_desk_asleep_to_its_timeout_is_told_how_far_nothing_is_its(server, tmp_path):
    """Others' drafts move the tenant on; a desk that may see none of them is told, at its
    timeout, that nothing of its changed up to the newest — and moving its cursor there
    loses nothing: the next draft it may see wakes it, and a pull from the new cursor brings
    what a pull from the old one would."""
    me = make_client(server, tmp_path, "zhengxiaoyan")  # 科长 of 秘书科 (liuyang's section)
    other = make_client(server, tmp_path, "chenmeiling")  # 财政局预算股: none of it ours
    drafter = make_client(server, tmp_path, "liuyang")
    me.engine.sync()
    old = me.engine.cursor()[0]
    for n in range(3):
        _draft(server, other, f"预算股的稿{n}")
    answer = me.transport.wait(old, timeout=0.5, quiet=True)
    assert not answer.changed and answer.high_water == old + 3
    assert answer.quiet_until == old + 3
    assert me.engine.skip_quiet(old, answer.quiet_until)
    assert me.engine.cursor()[0] == old + 3
    waiter = Waiter(me, old + 3)
    waiter.start()
    until_waiting(hub_of(server), 1)
    mine = _draft(server, drafter, "秘书科的稿")
    assert waiter.done.wait(LONG * 2) and waiter.answer.changed
    assert waiter.answer.quiet_until is None  # news is never vouched quiet
    from_old = {c.id for c in me.transport.pull(old).changes}
    assert {c.id for c in me.transport.pull(old + 3).changes} == from_old == {mine}
    report = me.engine.sync()
    assert report.pulled == 1 and mine in live_records(me.store)
    for client in (me, other, drafter):
        client.close()


def test_a_desk_is_not_told_quiet_past_a_change_it_may_see(server, tmp_path):
    """A draft the desk may see, written where no notice reaches this process: found at the
    timeout, it is news, and the desk is told of no quiet span at all; the desk of another
    unit is told quiet up to it."""
    reader = make_client(server, tmp_path, "zhengxiaoyan")
    outsider = make_client(server, tmp_path, "chenmeiling")
    drafter = make_client(server, tmp_path, "liuyang")
    hw = reader.transport.pull(0).high_water
    _written_elsewhere(server, drafter, "另一进程写入")
    theirs = reader.transport.wait(hw, timeout=0.5, quiet=True)
    assert theirs.changed and theirs.quiet_until is None
    mine = outsider.transport.wait(hw, timeout=0.5, quiet=True)
    assert not mine.changed and mine.quiet_until == hw + 1
    for client in (reader, outsider, drafter):
        client.close()


def test_a_hub_that_vouches_for_nothing_tells_no_quiet_span(server, tmp_path):
    """After notices may have gone by unread (and nothing could be read back), whatever came
    is anyone's news: the desk pulls, and is told of no quiet span."""
    outsider = make_client(server, tmp_path, "chenmeiling")
    drafter = make_client(server, tmp_path, "liuyang")
    hub = hub_of(server)
    hw = outsider.transport.pull(0).high_water
    _draft(server, drafter, "秘书科的稿")
    hub.notify(None)  # everything unknown: read again
    answer = outsider.transport.wait(hw, timeout=0.5, quiet=True)
    assert answer.changed and answer.quiet_until is None
    outsider.close()
    drafter.close()


def test_a_quiet_cursor_moves_only_forward_and_only_from_where_it_was(server, tmp_path):
    me = make_client(server, tmp_path, "chenmeiling")
    assert not me.engine.skip_quiet(0, 5)  # never synced: no cursor to move
    me.engine.sync()
    cursor = me.engine.cursor()[0]
    assert not me.engine.skip_quiet(cursor - 1, cursor + 5)  # a pull moved it meanwhile
    assert not me.engine.skip_quiet(cursor, cursor)  # nowhere to go
    assert me.engine.cursor()[0] == cursor
    assert me.engine.skip_quiet(cursor, cursor + 5)
    assert me.engine.cursor() == (cursor + 5, me.engine.cursor()[1])
    me.close()


def _record_reads(engine) -> list[str]:
    """The statements from now on that read a user's records by audience (a digest worked
    out again does; the writes' own reads by key are not counted)."""
    reads: list[str] = []

    def _seen(_conn, _cursor, statement, *_rest) -> None:
        if "FROM sync_records JOIN sync_audience" in " ".join(statement.split()):
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", _seen)
    return reads


def _documents(digest) -> int:
    found = digest.collections.get("documents")
    return found.count if found is not None else 0


def test_a_digest_stands_while_nothing_of_its_users_moves(server, tmp_path):
    """The check every sync ends with: worked out once, it stands while the hub vouches that
    no revision since named the user's principals — others' drafts do not disturb it — and
    is worked out again once one did, or when a write went by unheard."""
    me = make_client(server, tmp_path, "zhengxiaoyan")  # 科长 of 秘书科
    other = make_client(server, tmp_path, "chenmeiling")  # 财政局预算股
    drafter = make_client(server, tmp_path, "liuyang")  # 秘书科
    first = me.transport.digest()
    reads = _record_reads(server.app.state.engine)
    again = me.transport.digest()
    assert reads == [] and again == first
    _draft(server, other, "预算股的稿")  # none of hers: the digest still stands
    moved_on = me.transport.digest()
    assert reads == [] and moved_on.collections == first.collections
    assert moved_on.high_water == first.high_water + 1
    mine = _draft(server, drafter, "秘书科的稿")  # hers: worked out again, with it
    after = me.transport.digest()
    assert len(reads) == 1
    assert _documents(after) == _documents(first) + 1
    _written_elsewhere(server, drafter, "另一进程写入")  # unheard: not vouched for
    unheard = me.transport.digest()
    assert len(reads) == 2
    assert _documents(unheard) == _documents(after) + 1
    me.engine.sync()
    assert mine in live_records(me.store)
    assert me.engine.local_digests()["documents"] == (
        unheard.collections["documents"].count, unheard.collections["documents"].digest)
    for client in (me, other, drafter):
        client.close()


def test_a_digest_is_worked_out_again_for_a_role_gained(server, tmp_path):
    """A person given the section's 科长 role sees the section's drafts from then on (through
    the role, at their old revisions): the digest worked out before the role is not theirs."""
    from oa_server.models import User, UserRole
    from oa_server.visibility import SECTION_CHIEF
    from tests.sync.support import add_user, server_session

    add_user(server, like="liuyang", login="xinke", roles=("drafter",))  # 秘书科 拟稿人
    me = make_client(server, tmp_path, "xinke")
    drafter = make_client(server, tmp_path, "liuyang")
    _draft(server, drafter, "秘书科的稿")
    before = me.transport.digest()
    assert _documents(before) == 0
    with server_session(server) as session:
        user = session.query(User).filter_by(login="xinke").one()
        user.role_links.append(UserRole(role_code=SECTION_CHIEF))
        session.commit()
    assert _documents(me.transport.digest()) >= 1  # not the digest kept for her old self
    me.close()
    drafter.close()

"""A desk at rest whose long-poll sleeps through others' writes moves its pull cursor past
them when the server vouches they are none of its business: its next pull reads only what
came after (a pull reads every revision after its cursor to find the desk's few)."""

from __future__ import annotations

from tests.sync.support import make_client
from tests.sync.test_live_wait import _draft
from tests.ui.support import WAIT, close_main, make_shell, sign_in


def test_a_desk_at_rest_skips_what_it_may_not_see_without_pulling(qtbot, tmp_path,
                                                                   file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url, live_updates=True)
    window = sign_in(qtbot, shell, "zhengxiaoyan")  # 科长 of 秘书科
    qtbot.waitUntil(lambda: window.sync.state == "synced", timeout=WAIT)
    sync, engine = window.sync, window.sync.engine
    sync.wait_timeout = 0.5  # the next long-poll times out soon (the client's is 25 s)
    drafter = make_client(demo_server, tmp_path / "drafter", "liuyang")  # 秘书科
    other = make_client(demo_server, tmp_path / "other", "chenmeiling")  # 财政局预算股
    _draft(demo_server, drafter, "秘书科的新稿")  # hers to see: her poll wakes, she syncs
    qtbot.waitUntil(lambda: any(r.get("title") == "秘书科的新稿"
                                for r in window.session.store.records.list("documents")),
                    timeout=WAIT)
    qtbot.waitUntil(lambda: not sync.running, timeout=WAIT)
    pulls = []
    transport = window.session.transport
    real_pull = transport.pull
    transport.pull = lambda *a, **k: pulls.append(a) or real_pull(*a, **k)
    before = engine.cursor()[0]
    for n in range(3):
        _draft(demo_server, other, f"预算股的稿{n}")  # none of hers
    qtbot.waitUntil(lambda: engine.cursor()[0] == before + 3, timeout=WAIT)
    assert pulls == []  # moved by the long-poll's answer, not by pulling
    _draft(demo_server, drafter, "秘书科的又一稿")  # hers again: woken, pulled, shown
    qtbot.waitUntil(lambda: any(r.get("title") == "秘书科的又一稿"
                                for r in window.session.store.records.list("documents")),
                    timeout=WAIT)
    assert pulls and pulls[0][0] >= before + 3  # the pull began past the others' drafts
    drafter.close()
    other.close()
    close_main(qtbot, window)

"""The status line of a console page: a query answered late never hides what the page said
after asking it (an export, a checkpoint), and an answer to the latest query still shows."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from ui.admin.common import AdminPage


def test_a_late_answer_leaves_the_newer_message_and_a_fresh_one_shows(qtbot):
    page = AdminPage(SimpleNamespace(transport=None))
    qtbot.addWidget(page)
    answer = threading.Event()
    page.read(lambda: answer.wait(30) and 204, lambda n: page.say(f"共 {n} 条记录"))
    assert page.reading
    page.say("已生成并保存检查点：第 12 条")  # the page's own action answered first
    answer.set()
    qtbot.waitUntil(lambda: not page.reading, timeout=30_000)
    assert page.status.text() == "已生成并保存检查点：第 12 条"
    page.read(lambda: 7, lambda n: page.say(f"共 {n} 条记录"))
    qtbot.waitUntil(lambda: not page.reading, timeout=30_000)
    assert page.status.text() == "共 7 条记录"
    # a refusal is always shown
    page.read(lambda: 1 / 0, lambda n: page.say("never"))
    qtbot.waitUntil(lambda: not page.reading, timeout=30_000)
    assert page.status.text() and page.status.text() != "共 7 条记录"

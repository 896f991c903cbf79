"""Journey (clicks and typing only, from sign-in): 洪阳镇's 梁海涛 opens the mayor's 督办 task from
his 待办, reports progress with a photo note attached through the file dialog (an empty report
is refused in place), then asks for 销号 (an empty result is refused); 督查室's 林东升 finds the
销号 request on his 待办, is told a 退回重办 needs a reason, and confirms 销号 — the task is
closed on the server and off both 待办 lists."""

from __future__ import annotations

from tests.ui.journey import (
    WAIT,
    choose_file,
    click,
    desk,
    dialog_of,
    keys,
    open_todo,
    sync,
    todo_row,
    type_into,
)
from tests.ui.support import close_main
from ui.qt import QDialogButtonBox, QPushButton
from ui.supervision import dialogs

TASK = "市长批示：加快推进洪阳镇防洪堤加固工程"
OK = QDialogButtonBox.StandardButton.Ok


def _page(qtbot, window):
    """The 督办 screen with the task shown (opened from 待办)."""
    page = window.record_pages[5]
    qtbot.waitUntil(lambda: page.task is not None and page.task.get("title") == TASK, timeout=WAIT)
    return page


def test_journey_lead_unit_reports_and_asks_for_closure_the_office_confirms(
        qtbot, tmp_path, file_keyring, demo_server):
    lead = desk(qtbot, tmp_path, file_keyring, demo_server.url, "lianghaitao")
    open_todo(qtbot, lead, "supervise", TASK)
    page = _page(qtbot, lead)

    click(page.report_button)
    form = dialog_of(qtbot, page, dialogs.ProgressForm)
    click(form.buttons.button(OK))  # nothing written: refused in place
    qtbot.waitUntil(lambda: form.error.text() == "请填写进展情况", timeout=WAIT)
    assert form.isVisible()
    click(form.text)
    keys(form.text, "完成堤身渗漏点封堵12处，累计完成投资1200万元。")
    assert form.percent.text() == "（不填）"  # not said unless typed
    type_into(form.percent, "60")
    note = tmp_path / "fengdu.txt"
    note.write_text("1号至12号渗漏点已封堵", encoding="utf-8")
    add = next(b for b in form.findChildren(QPushButton) if b.text().startswith("添加附件"))
    choose_file(qtbot, add, note)
    qtbot.waitUntil(lambda: form.files.count() == 1 and form.files.item(0).text() == "fengdu.txt",
                    timeout=WAIT)
    click(form.buttons.button(OK))
    qtbot.waitUntil(lambda: not form.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: "进展反馈（完成60%）" in page.detail.toPlainText()
                    and "完成堤身渗漏点封堵12处" in page.detail.toPlainText()
                    and "fengdu.txt" in page.detail.toPlainText(), timeout=WAIT)

    click(page.close_button)
    close = dialog_of(qtbot, page, dialogs.CloseForm)
    click(close.buttons.button(OK))
    qtbot.waitUntil(lambda: close.error.text() == "请填写办理结果", timeout=WAIT)
    click(close.result_box)
    keys(close.result_box, "主体工程完工，已组织验收。")
    click(close.buttons.button(OK))
    qtbot.waitUntil(lambda: (page.task or {}).get("state") == "closing", timeout=WAIT)
    assert not page.close_button.isEnabled()
    sync(qtbot, lead)

    office = desk(qtbot, tmp_path, file_keyring, demo_server.url, "lindongsheng")
    open_todo(qtbot, office, "supervise", TASK)
    opage = _page(qtbot, office)
    qtbot.waitUntil(lambda: (opage.task or {}).get("state") == "closing" and opage.decide_button.isEnabled(),
                    timeout=WAIT)
    click(opage.decide_button)
    decide = dialog_of(qtbot, opage, dialogs.DecideForm)
    assert "主体工程完工" in " ".join(w.text() for w in decide.findChildren(type(decide.error)))
    click(decide.no_button)  # 退回重办 without a reason: said, nothing sent
    qtbot.waitUntil(lambda: decide.error.text() == "退回时请写明理由", timeout=WAIT)
    assert decide.isVisible()
    click(decide.buttons.button(OK))  # 确认销号
    qtbot.waitUntil(lambda: not decide.isVisible(), timeout=WAIT)
    sync(qtbot, office)
    qtbot.waitUntil(lambda: (opage.task or {}).get("state") == "closed", timeout=WAIT)
    qtbot.waitUntil(lambda: todo_row(office, "supervise", TASK) < 0, timeout=WAIT)
    close_main(qtbot, office)

    sync(qtbot, lead)  # the town sees it closed, and it is off its 待办
    qtbot.waitUntil(lambda: (page.task or {}).get("state") == "closed"
                    and todo_row(lead, "supervise", TASK) < 0, timeout=WAIT)
    assert not page.report_button.isEnabled() and not page.close_button.isEnabled()
    close_main(qtbot, lead)

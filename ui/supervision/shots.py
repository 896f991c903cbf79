"""Screens of the 督办 module for `python -m ui.screenshots` (and the UI test's walk)."""

from __future__ import annotations

from collections.abc import Callable


def new_task_shot(page, shot: Callable) -> None:
    """The 立项 form filled in, with two milestones."""
    from datetime import timedelta

    from ui.qt import QDate

    form = page.new_task()
    form.title.setText("城区排水管网改造")
    form.content.setPlainText("按市长批示，汛期前完成城区老旧排水管网改造，分段验收。")
    form.lead.setCurrentIndex(max(0, form.lead.findText("洪阳镇人民政府")))
    form.owner.setCurrentIndex(min(1, form.owner.count() - 1))
    form.leader.setCurrentIndex(min(1, form.leader.count() - 1))
    today = page.today()
    for n, (title, days) in enumerate((("完成管网普查和改造方案", 20), ("完成主干管改造", 50))):
        form.milestones.add_row()
        name, due = form.milestones.editors(n)
        name.setText(title)
        day = today + timedelta(days=days)
        due.setDate(QDate(day.year, day.month, day.day))
    form.resize(680, 760)
    shot(form, "08g-supervision-new-task")
    form.reject()


def drive(page, shot: Callable, window, wait: Callable) -> None:
    """Board with lights and counts, progress form, detail with its timeline, extension and
    销号 dialogs, the 通报 dialog after generation."""
    page.tabs.setCurrentIndex(0)
    wait(lambda: page.task is not None)
    shot(window, "08-supervision-board")
    form = page.report_progress()
    if form is not None:
        form.text.setPlainText("已召开专题推进会，完成年度任务分解，12项任务已有9项完成。")
        form.percent.setValue(75)
        form.resize(560, 380)
        shot(form, "08b-supervision-progress-form")
        form.accept()
        wait(lambda: "专题推进会" in page.detail.toPlainText())
    sizes = page.splitter.sizes()
    page.splitter.setSizes([150, sum(sizes) - 150])
    bar = page.detail.verticalScrollBar()
    bar.setValue(bar.maximum())
    shot(window, "08c-supervision-detail-timeline")
    page.splitter.setSizes(sizes)
    ext = page.request_extension()
    if ext is not None:
        ext.reason.setPlainText("需等待省级平台接口开放。")
        ext.resize(560, 330)
        shot(ext, "08d-supervision-extension")
        ext.reject()
    close = page.request_close()
    if close is not None:
        close.buttons.accepted.emit()  # empty result: the form says what is missing
        close.resize(560, 280)
        shot(close, "08e-supervision-close-error")
        close.reject()
    dlg = page.open_bulletin()
    dlg.generate.click()
    wait(lambda: dlg.pdf is not None or "错误" in dlg.status.text(), 60)
    shot(dlg, "08f-supervision-bulletin")
    dlg.reject()
    if page.new_button.isVisible():  # 立项 (督查室, leaders, office directors)
        new_task_shot(page, shot)
    page.tabs.setCurrentIndex(2)
    wait(lambda: page.view == "board" and page.result.get("board") is not None)

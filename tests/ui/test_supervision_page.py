"""The 督办 screen walked as a township head would: board with lights and counts, filters,
the task detail, a progress report through the form (synced), a 销号 request with a
missing field then filled, and the screens for `python -m ui.screenshots`."""

from __future__ import annotations

from pathlib import Path

from tests.ui.support import WAIT, close_main, make_shell, sign_in, wait_synced


def test_board_progress_and_close_request(qtbot, tmp_path, file_keyring, demo_server,
                                          monkeypatch):
    from ui.qt import QUrl

    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "lianghaitao")  # 洪阳镇: leads the mayor's 批示 task
    wait_synced(qtbot, window)
    window.navigate(5)
    page = window.record_pages[5]
    assert type(page).__name__ == "SupervisionPage"
    qtbot.waitUntil(lambda: page.task is not None, timeout=WAIT)
    assert page.view == "mine"
    titles = [page.table.item(r, 1).text() for r in range(page.table.rowCount())]
    assert titles == ["市长批示：加快推进洪阳镇防洪堤加固工程"]
    assert page.table.item(0, 0).text() == "正常推进" and not page.table.item(0, 0).icon().isNull()
    assert "正常推进" in page.counts.text() and "<b>1</b>" in page.counts.text()
    assert "陈志强" in page.detail.toPlainText() or "交办领导" in page.detail.toPlainText()
    # a light filter with nothing in it, then back
    page.light.setCurrentIndex(page.light.findData("red"))
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=WAIT)
    page.light.setCurrentIndex(0)
    qtbot.waitUntil(lambda: page.table.rowCount() == 1 and page.task is not None, timeout=WAIT)
    assert page.report_button.isEnabled() and page.close_button.isEnabled()

    # progress through the form: saved locally at once, then synced
    form = page.report_progress()
    assert form is not None
    form.buttons.accepted.emit()  # empty: refused in place, naming what is missing
    assert "进展情况" in form.error.text() and form.isVisible()
    form.text.setPlainText("完成堤身渗漏点封堵12处。")
    photo = tmp_path / "封堵点位说明.txt"
    photo.write_text("1号至12号渗漏点已封堵", encoding="utf-8")
    form.paths.append(photo)
    form.buttons.accepted.emit()
    qtbot.waitUntil(lambda: "完成堤身渗漏点封堵" in page.detail.toPlainText(), timeout=WAIT)
    qtbot.waitUntil(lambda: "待同步" not in page.detail.toPlainText(), timeout=WAIT)
    assert "封堵点位说明.txt" in page.detail.toPlainText()
    # the attachment opens from the timeline: saved where the user says
    from ui.qt import QFileDialog

    target = tmp_path / "saved.txt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    file_id = next(e.attachment_ids[0] for e in page.result["timeline"] if e.attachment_ids)
    page.detail.anchorClicked.emit(QUrl(f"att:{file_id}"))
    qtbot.waitUntil(target.exists, timeout=WAIT)
    assert target.read_text(encoding="utf-8") == "1号至12号渗漏点已封堵"

    # 销号: the result is required; then the task waits for the 督查室
    close = page.request_close()
    close.buttons.accepted.emit()
    assert "办理结果" in close.error.text()
    close.result_box.setPlainText("主体工程完工，已组织验收。")
    close.buttons.accepted.emit()
    qtbot.waitUntil(lambda: (page.task or {}).get("state") == "closing", timeout=WAIT)
    qtbot.waitUntil(lambda: "待确认销号" in page.table.item(0, 5).text(), timeout=WAIT)
    assert not page.close_button.isEnabled() and not page.decide_button.isEnabled()
    close_main(qtbot, window)


def test_screens_for_the_screenshot_run(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "zhengxiaoyan")  # 秘书科: leads the 一网通办 task
    wait_synced(qtbot, window)
    window.resize(1360, 820)
    window.navigate(5)
    page = window.record_pages[5]
    files: list[Path] = []

    def shot(widget, name: str) -> None:
        path = tmp_path / "shots" / f"{name}.png"
        path.parent.mkdir(exist_ok=True)
        assert widget.grab().save(str(path))
        files.append(path)

    def wait(cond, timeout: float = 30) -> None:
        qtbot.waitUntil(cond, timeout=int(timeout * 1000))

    page.screenshots(shot, window, wait)
    names = [f.stem for f in files]
    assert names == ["08-supervision-board", "08b-supervision-progress-form",
                     "08c-supervision-detail-timeline", "08d-supervision-extension",
                     "08e-supervision-close-error", "08f-supervision-bulletin"]
    assert all(f.stat().st_size > 5000 for f in files)
    close_main(qtbot, window)


def test_the_supervision_office_opens_a_task_and_a_weekend_deadline_is_moved(
        qtbot, tmp_path, file_keyring, demo_server, monkeypatch):
    from datetime import date, timedelta

    from ui.qt import QDate, QMessageBox

    asked: list[str] = []

    def question(parent, title, text, *args):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "lindongsheng")  # 督查室
    wait_synced(qtbot, window)
    window.navigate(5)
    page = window.record_pages[5]
    qtbot.waitUntil(lambda: page.view == "board" and page.task is not None, timeout=WAIT)
    assert page.new_button.isVisible()
    assert page.table.rowCount() == 3  # every task on the 督查室 board
    form = page.new_task()
    form.buttons.accepted.emit()
    assert "名称" in form.error.text()
    saturday = date.today() + timedelta(days=10)
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)
    form.title.setText("整改审计反馈问题")
    form.content.setPlainText("对照审计报告逐项整改，按月报送整改进展。")
    form.lead.setCurrentIndex(form.lead.findText("普宁市财政局"))
    form.deadline.setDate(QDate(saturday.year, saturday.month, saturday.day))
    form.buttons.accepted.emit()
    qtbot.waitUntil(lambda: (page.task or {}).get("title") == "整改审计反馈问题", timeout=WAIT)
    assert asked and "休息日" in asked[0]
    assert page.task["deadline"] == (saturday + timedelta(days=2)).isoformat()  # Monday
    qtbot.waitUntil(lambda: page.table.rowCount() == 4, timeout=WAIT)
    qtbot.waitUntil(lambda: (page.task or {}).get("rev", 0) > 0, timeout=WAIT)  # the server took it
    close_main(qtbot, window)


def test_the_supervision_office_edits_a_years_calendar(qtbot, tmp_path, file_keyring,
                                                       demo_server):
    import json

    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "lindongsheng")
    wait_synced(qtbot, window)
    window.navigate(5)
    page = window.record_pages[5]
    qtbot.waitUntil(lambda: page.task is not None, timeout=WAIT)
    assert page.calendar_button.isVisible()
    dlg = page.open_calendar()
    dlg.year.setValue(2026)
    dlg.load()
    qtbot.waitUntil(lambda: '"国庆节"' in dlg.text.toPlainText() and
                    '"year": 2026' in dlg.text.toPlainText(), timeout=WAIT)
    table = {"year": 2027, "source": "国务院办公厅关于2027年部分节假日安排的通知（测试）",
             "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}],
             "workdays": [{"date": "2027-01-06", "name": "元旦调休上班"}]}  # a Wednesday
    dlg.text.setPlainText(json.dumps(table, ensure_ascii=False))
    dlg.save()
    assert "不是周末" in dlg.status.text() and "workdays[0]" in dlg.status.text()
    table["workdays"][0]["date"] = "2027-01-09"
    dlg.text.setPlainText(json.dumps(table, ensure_ascii=False))
    dlg.save()
    qtbot.waitUntil(lambda: dlg.saved is not None, timeout=WAIT)
    assert dlg.saved["year"] == 2027 and "已保存2027年" in dlg.status.text()
    dlg.reject()
    close_main(qtbot, window)

"""Journey (clicks and typing only, from sign-in, each person on their own computer): 刘洋 finds
在职证明 in the 零跑动 catalogue, fills the form — a short ID number and a missing 其他用途说明 are
shown to him and he mends them — and submits; 人事科科长 王丽华 approves it from 待我审批; the
印章管理员 蔡卫东 opens it from his 待办 and has it sealed and issued; 刘洋 downloads the sealed
PDF, whose 人事专用章 signature checks out against the server's root."""

from __future__ import annotations

import os
from pathlib import Path

from docs_exchange.verify import verify_pdf
from tests.ui.journey import (
    WAIT,
    choose_file,
    click,
    click_row,
    click_tab,
    desk,
    keys,
    open_todo,
    pick,
    sync,
    todo_row,
    type_into,
)
from tests.ui.support import close_main
from ui.qt import Qt, QTest

CERT = "在职/收入证明开具"
ID_NUMBER = "445281199003150023"


def _requests_page(qtbot, window):
    """Ctrl+4: the 事项 screen, loaded."""
    QTest.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    page = window.record_pages[3]
    qtbot.waitUntil(lambda: page.loaded and page.isVisible(), timeout=WAIT)
    return page


def _shot(widget, name: str) -> None:
    """Keep what the person saw when OA_SHOTS names a folder (looked at after UI changes)."""
    folder = os.environ.get("OA_SHOTS")
    if folder:
        widget.grab().save(str(Path(folder) / f"{name}.png"))


def _apply(qtbot, window) -> str:
    """刘洋 applies for an 在职证明 and submits it; the request's number-less title."""
    page = _requests_page(qtbot, window)
    type_into(page.search, "证明")
    qtbot.waitUntil(lambda: page.item_list.count() == 1, timeout=WAIT)
    click_row(qtbot, page.item_list, CERT)
    qtbot.waitUntil(lambda: "人事专用章" in page.item_info.toPlainText(), timeout=WAIT)
    QTest.keyClick(page.item_list, Qt.Key.Key_Return)  # Enter: 在线申请
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=WAIT)
    dialog = page.dialog
    form, editors = dialog.form, dialog.form.editors
    # prefilled from the org: name, section, phone
    assert editors["applicant"].box.text() == "刘洋"
    assert editors["department"].box.currentText() == "秘书科"
    assert editors["phone"].box.text() == "0663-2222012"
    type_into(editors["id_number"].box, "4452811990")  # too short: said as typed
    qtbot.waitUntil(lambda: form.errors["id_number"].isVisible(), timeout=WAIT)
    assert "身份证号码应为18位" in form.errors["id_number"].text()
    type_into(editors["id_number"].box, ID_NUMBER)
    qtbot.waitUntil(lambda: not form.errors["id_number"].isVisible(), timeout=WAIT)
    pick(qtbot, editors["cert_type"].box, "在职证明")
    assert "人事科核实" in dialog.route.text() and "财务科" not in dialog.route.text()
    pick(qtbot, editors["purpose"].box, "其他")
    type_into(editors["copies"].box, "2")
    click(dialog.submit_button)  # 其他用途 needs a word: nothing is sent, the form stays open
    qtbot.waitUntil(lambda: "还有1处需要修改" in dialog.status.text(), timeout=WAIT)
    assert dialog.isVisible() and form.errors["purpose_note"].isVisible()
    _shot(dialog, "requests-cert-form-problem")
    holder = form.rows["id_number"][1]  # the mended field's row closes up again: no gap left
    assert holder.height() == holder.sizeHint().height(), (holder.height(), holder.sizeHint())
    type_into(editors["purpose_note"].box, "办理住房公积金贷款")
    type_into(editors["recipient"].box, "普宁市住房公积金管理中心")
    click(dialog.submit_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: page.status.text() == "已提交，将在联网后送达审批人。", timeout=WAIT)
    sync(qtbot, window)
    click_tab(page.tabs, "我的申请")
    qtbot.waitUntil(lambda: any(r.get("item_code") == "CERT" and r.get("number") for r in page.mine),
                    timeout=WAIT)
    mine = next(r for r in page.mine if r.get("item_code") == "CERT")
    assert mine["state"] == "submitted" and mine["form"]["purpose_note"] == "办理住房公积金贷款"
    return str(mine["number"])


def _approve(qtbot, tmp_path, keyring, url: str, number: str) -> None:
    """王丽华 (人事科科长) checks the record in 待我审批 and approves."""
    window = desk(qtbot, tmp_path, keyring, url, "wanglihua")
    page = _requests_page(qtbot, window)
    click_tab(page.tabs, "待我审批")
    click_row(qtbot, page.todo_list, number)
    qtbot.waitUntil(lambda: ID_NUMBER in page.todo_detail.toPlainText(), timeout=WAIT)
    text = page.todo_detail.toPlainText()
    assert "刘洋" in text and "办理住房公积金贷款" in text and "人事科核实" in text
    # she is not offered the seal: that is the 印章管理员's (no such tab for her)
    assert not page.tabs.isTabVisible(3)
    click(page.opinion)
    keys(page.opinion, "经核实，刘洋同志系我单位在编在岗人员。")
    click(page.approve_button)
    qtbot.waitUntil(lambda: page.status.text() == "已办理，将在联网后送达。", timeout=WAIT)
    sync(qtbot, window)
    qtbot.waitUntil(lambda: row_gone(page.todo_list, number), timeout=WAIT)
    close_main(qtbot, window)


def row_gone(widget, number: str) -> bool:
    """The request is no longer in the list."""
    return all(number not in widget.item(i).text() for i in range(widget.count()))


def _issue(qtbot, tmp_path, keyring, url: str, number: str) -> None:
    """蔡卫东 (印章管理员) opens the 证明 from his 待办 and has it sealed and issued."""
    window = desk(qtbot, tmp_path, keyring, url, "caiweidong")
    item = open_todo(qtbot, window, "seal", number)  # Enter opens it where it waits
    assert item.kind_label == "待出具证明" and CERT in item.title
    page = window.record_pages[3]
    qtbot.waitUntil(lambda: page.tabs.currentIndex() == 3 and page.current is not None
                    and page.current.get("number") == number, timeout=WAIT)
    assert page.tabs.tabText(3) == "待出具证明"
    qtbot.waitUntil(lambda: "待本单位印章管理员加盖人事专用章后出具" in page.seal_detail.toPlainText(),
                    timeout=WAIT)
    assert "经核实" in page.seal_detail.toPlainText()  # he sees who approved it and why
    _shot(window, "requests-seal-keeper")
    click(page.issue_button)
    qtbot.waitUntil(lambda: page.status.text().startswith("已盖章出具在职证明（普府办证〔"), timeout=WAIT)
    assert row_gone(page.seal_list, number) and page.seal_list.count() == 1  # the demo's other one waits
    sync(qtbot, window)
    qtbot.waitUntil(lambda: todo_row(window, "seal", number) < 0, timeout=WAIT)  # off his 待办 once synced
    close_main(qtbot, window)


def test_journey_certificate_applied_approved_sealed_and_downloaded(qtbot, tmp_path, file_keyring, demo_server):
    applicant = desk(qtbot, tmp_path, file_keyring, demo_server.url, "liuyang")
    number = _apply(qtbot, applicant)
    page = applicant.record_pages[3]
    _approve(qtbot, tmp_path, file_keyring, demo_server.url, number)

    # approved, not yet sealed: 刘洋 sees it waits for the 印章管理员 and cannot download yet
    sync(qtbot, applicant)
    click_row(qtbot, page.mine_list, number)
    qtbot.waitUntil(lambda: "已批准" in page.mine_detail.toPlainText()
                    and "待本单位印章管理员加盖人事专用章后出具" in page.mine_detail.toPlainText(), timeout=WAIT)
    assert not page.output_button.isEnabled()

    _issue(qtbot, tmp_path, file_keyring, demo_server.url, number)

    sync(qtbot, applicant)
    qtbot.waitUntil(lambda: "已加盖人事专用章，可下载" in page.mine_detail.toPlainText(), timeout=WAIT)
    qtbot.waitUntil(page.output_button.isEnabled, timeout=WAIT)
    _shot(applicant, "requests-cert-ready")
    target = tmp_path / "zaizhi-zhengming.pdf"
    choose_file(qtbot, page.output_button, target)
    qtbot.waitUntil(lambda: page.status.text() == f"已保存：{target}", timeout=WAIT)
    pdf = target.read_bytes()
    if os.environ.get("OA_SHOTS"):
        (Path(os.environ["OA_SHOTS"]) / "requests-cert.pdf").write_bytes(pdf)
    report = verify_pdf(pdf, trust_roots=[applicant.session.transport.ca_root()])
    assert report.ok, report.text()
    (seal,) = report.signatures
    assert seal.signer.kind == "seal" and seal.signer.name == "普宁市人民政府办公室人事专用章"
    assert seal.locks_document
    close_main(qtbot, applicant)

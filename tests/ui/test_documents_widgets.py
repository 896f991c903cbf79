"""公文 widgets without a server: the signature pad driven by mouse events, the compose form's
element-exact errors, and the marked revision view."""

from __future__ import annotations

import json

from ui.documents.compose import ComposeForm
from ui.documents.dialogs import ReturnDialog
from ui.documents.revision_view import RevisionView
from ui.documents.signature_pad import SignatureDialog, SignaturePad, render_strokes
from ui.qt import QEvent, QPoint, Qt, QTest


def _draw(pad, points: list[tuple[int, int]]) -> None:
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(*points[0]))
    for p in points[1:]:
        QTest.mouseMove(pad, QPoint(*p))
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       QPoint(*points[-1]))


def test_signature_pad_keeps_mouse_strokes_as_vectors_and_png(qtbot):
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(420, 180)
    pad.show()
    qtbot.waitExposed(pad)
    assert pad.is_empty()
    _draw(pad, [(30 + 10 * i, 100 + (i % 3) * 8) for i in range(15)])
    _draw(pad, [(200, 60), (210, 90), (220, 120)])
    data = json.loads(pad.strokes_json())
    assert data["format"] == 1 and (data["width"], data["height"]) == (420, 180)
    assert [len(s["points"]) for s in data["strokes"]] == [15, 3]
    assert data["strokes"][0]["device"] == "mouse"
    assert data["strokes"][0]["points"][0][:2] == [30.0, 100.0]
    assert data["strokes"][1]["points"][-1][:2] == [220.0, 120.0]
    png = pad.png_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = render_strokes(data, 60)
    assert image.height() == 60 and image.width() > 60  # cropped to the ink, wider than high
    # keyboard: Ctrl+Z drops the last stroke, Delete clears
    pad.setFocus()
    QTest.keyClick(pad, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(pad.signature()["strokes"]) == 1
    QTest.keyClick(pad, Qt.Key.Key_Delete)
    assert pad.is_empty()


def test_signature_dialog_refuses_an_empty_signature(qtbot):
    dialog = SignatureDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.buttons.accepted.emit()
    assert dialog.isVisible() and "签名为空" in dialog.problem.text()
    _draw(dialog.pad, [(40, 100), (80, 120), (120, 90), (160, 110)])
    dialog.buttons.accepted.emit()
    assert dialog.result() == dialog.DialogCode.Accepted
    sig = dialog.result_signature()
    assert sig["png"].startswith(b"\x89PNG") and len(json.loads(sig["strokes"])["strokes"]) == 1


def _active_form(qtbot) -> tuple[ComposeForm, list[dict]]:
    """A compose form shown and active (keys reach it), and the values each 送审/保存 sent."""
    form = ComposeForm()
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow, timeout=3000)
    saved: list[dict] = []
    form.submit_requested.connect(saved.append)
    return form, saved


def test_compose_form_names_the_wrong_element(qtbot):
    form, saved = _active_form(qtbot)
    form.kind.setCurrentText("请示")
    form.title.setText("普宁市人民政府办公室关于申请防汛物资储备资金的请示")
    form.main_to.setText("普宁市人民政府、普宁市财政局")
    form.body.setPlainText("妥否，请批示。")
    assert form.request(submit=True) is False
    assert "【主送机关】" in form.problem.text() and "只能主送一个机关" in form.problem.text()
    assert "c00000" in form.main_to.styleSheet()  # the element is marked …
    assert form.main_to.hasFocus()  # … and the cursor is there
    form.main_to.setText("普宁市人民政府")
    assert form.main_to.styleSheet() == "" and form.problem.text() == ""  # typing clears it
    form.title.setText("   ")
    assert form.request(submit=False) is False
    assert "【标题】" in form.problem.text()
    form.title.setText("普宁市人民政府办公室关于申请防汛物资储备资金的请示")
    form.body.setPlainText("")
    assert form.request(submit=True) is False and "【正文】" in form.problem.text()
    assert form.request(submit=False) is True  # a draft may still be empty
    form.body.setPlainText("市人民政府：\n拟申请专项资金80万元。\n妥否，请批示。")
    form.cc_to.setText("普宁市人民政府")
    assert form.request(submit=True) is False and "【抄送机关】" in form.problem.text()
    form.cc_to.setText("普宁市财政局")
    form.attachment_files = [{"name": "大表", "size": 51 * 1024 * 1024, "data": None}]
    assert form.request(submit=True) is False and "【附件】" in form.problem.text()
    form.attachment_files = []
    assert form.request(submit=True) is True
    values = saved[-1]
    assert values["kind"] == "请示" and values["main_to"] == ["普宁市人民政府"]
    assert values["cc_to"] == ["普宁市财政局"] and values["secrecy"] == "非涉密"


def test_return_dialog_needs_a_reason(qtbot):
    dialog = ReturnDialog([("draft", "起草"), ("review", "核稿")])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.reason.setPlainText("   ")
    dialog.accept()
    assert dialog.isVisible() and dialog.problem.text() == "退回必须填写理由"
    dialog.target.setCurrentIndex(1)
    dialog.reason.setPlainText("主送机关有误")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert (dialog.step(), dialog.text()) == ("review", "主送机关有误")


def test_revision_view_switches_between_clean_and_marked(qtbot):
    view = RevisionView()
    qtbot.addWidget(view)
    view.show()
    revisions = [{"body": "请于12月10日前完成自查。", "author_name": "刘洋"},
                 {"body": "请于12月15日前完成自查并报送。", "author_name": "黄建华"}]
    view.set_content(revisions[-1]["body"], revisions, {})
    assert view.mode == "clean" and view.text.toPlainText() == "请于12月15日前完成自查并报送。"
    assert not view.old_combo.isVisible()
    with qtbot.waitSignal(view.shown, timeout=5000):
        view.marked_button.click()
    assert view.mode == "marked" and view.old_combo.isVisible()
    assert ("delete", "0") in view.segments and ("insert", "5") in view.segments
    assert ("insert", "并报送") in view.segments
    assert view.counts() == (4, 1)
    assert "line-through" in view.text.toHtml() and "underline" in view.text.toHtml()
    view.clean_button.click()
    assert view.text.toPlainText() == "请于12月15日前完成自查并报送。"
    single = RevisionView()
    qtbot.addWidget(single)
    single.set_content("只有一稿", [{"body": "只有一稿"}], {})
    assert not single.marked_button.isEnabled()


def test_signature_pad_takes_a_pen_with_pressure_and_a_finger(qtbot):
    from PySide6.QtCore import QPointF as F
    from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
    from PySide6.QtWidgets import QApplication

    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(420, 180)
    pad.show()
    qtbot.waitExposed(pad)
    pen = QPointingDevice("pen", 1, QInputDevice.DeviceType.Stylus,
                          QPointingDevice.PointerType.Pen,
                          QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
                          1, 3)
    for kind, x, pressure in ((QEvent.Type.TabletPress, 50, 0.2), (QEvent.Type.TabletMove, 90, 0.6),
                              (QEvent.Type.TabletMove, 130, 0.9), (QEvent.Type.TabletRelease, 130, 0.0)):
        pos = F(x, 100)
        event = QTabletEvent(kind, pen, pos, F(pad.mapToGlobal(pos)), pressure, 0.0, 0.0, 0.0, 0.0,
                             0.0, Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton,
                             Qt.MouseButton.LeftButton)
        QApplication.sendEvent(pad, event)
    stroke = pad.signature()["strokes"][0]
    assert stroke["device"] == "pen"
    assert [p[2] for p in stroke["points"]] == [0.2, 0.6, 0.9]  # pressure kept per point
    touch = QTest.createTouchDevice()
    seq = QTest.touchEvent(pad, touch)
    seq.press(0, QPoint(200, 60)).commit()
    seq.move(0, QPoint(230, 90)).commit()
    seq.move(0, QPoint(260, 120)).commit()
    seq.release(0, QPoint(260, 120)).commit()
    strokes = pad.signature()["strokes"]
    assert len(strokes) == 2 and strokes[1]["device"] == "touch"
    x, y = strokes[1]["points"][0][:2]
    assert abs(x - 200) <= 3 and abs(y - 60) <= 3 and len(strokes[1]["points"]) >= 3


def test_compose_form_takes_copy_number_secrecy_term_joint_issuers_and_imprint(qtbot):
    form = ComposeForm()
    qtbot.addWidget(form)
    form.show()
    saved: list[dict] = []
    form.save_requested.connect(saved.append)
    form.title.setText("普宁市人民政府办公室　普宁市财政局关于做好防汛物资储备工作的通知")
    assert not form.secrecy_term.isEnabled()  # 保密期限 only with 密级 内部
    form.secrecy.setCurrentText("内部")
    assert form.secrecy_term.isEnabled()
    form.copy_no.setText("12a")
    assert form.request(submit=False) is False and "【份号】" in form.problem.text()
    assert "c00000" in form.copy_no.styleSheet()
    form.copy_no.setText("12")
    form.print_date.setText("三月五日")
    assert form.request(submit=False) is False and "【印发日期】" in form.problem.text()
    form.print_date.setText("2026-03-05")
    form.secrecy_term.setText("1年")
    form.co_issuing.setText("普宁市财政局、普宁市教育局")
    form.printer.setText("普宁市人民政府办公室")
    assert form.request(submit=False) is True
    values = saved[-1]
    assert (values["copy_no"], values["secrecy"], values["secrecy_term"]) == ("12", "内部", "1年")
    assert values["co_issuing_units"] == ["普宁市财政局", "普宁市教育局"]
    assert (values["printer"], values["print_date"]) == ("普宁市人民政府办公室", "2026-03-05")
    form.secrecy.setCurrentText("非涉密")
    assert not form.secrecy_term.isEnabled()
    assert form.request(submit=False) is False and "【保密期限】" in form.problem.text()
    other = ComposeForm()
    qtbot.addWidget(other)
    other.load(values)  # a draft comes back into the form as it was typed
    assert other.values() == values


def test_compose_countersign_picker_lists_departments_and_names_an_unknown_one(qtbot):
    from oa_client.services.documents_routing import Department
    from tests.ui.journey import tick_item

    form, saved = _active_form(qtbot)
    form.set_departments([Department("d1", "党政办", "洪阳镇人民政府", ("林佳慧",)),
                          Department("d2", "经济发展办", "洪阳镇人民政府", ())])
    # an old draft: one department this unit has, one it has not (since dissolved, or a
    # unit's name an older form took)
    form.load({"kind": "通知", "title": "洪阳镇人民政府关于做好防汛工作的通知",
               "main_to": ["洪阳镇新寨村"], "body": "各村：\n请做好防汛工作。",
               "countersign_departments": ["党政办", "已撤销的农业办"]})
    lst = form.countersign
    assert [lst.item(i).text() for i in range(lst.count())] == [
        "党政办（科长：林佳慧）", "经济发展办（无科长）", "已撤销的农业办（本单位没有此科室）"]
    assert lst.chosen() == ["党政办", "已撤销的农业办"] and lst.chosen_ids() == ["d1"]
    assert form.request(submit=True) is False
    assert form.problem.text() == ("【会签部门】本单位没有这些科室：已撤销的农业办。"
                                   "请取消勾选，改选本单位的科室")
    assert "c00000" in lst.styleSheet() and lst.hasFocus()
    assert form.title.text() and lst.chosen() == ["党政办", "已撤销的农业办"]  # nothing lost
    tick_item(lst, lst.item(2))  # unticked: the mark and the message go
    assert lst.styleSheet() == "" and form.problem.text() == ""
    tick_item(lst, lst.item(1))  # a department without a 科长: nobody would countersign
    assert form.request(submit=True) is False
    assert form.problem.text() == "【会签部门】“经济发展办”没有科长，无人会签，请选择其他科室"
    tick_item(lst, lst.item(1))
    assert form.request(submit=True) is True
    assert saved[-1]["countersign_departments"] == ["党政办"]
    form.set_departments([Department("d1", "党政办", "洪阳镇人民政府", ("林佳慧",))])
    assert lst.chosen() == ["党政办"]  # the org chart read again keeps what is ticked

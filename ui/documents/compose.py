"""The compose form (拟稿): a new 发文 with the 公文 elements, checked element by element."""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oa_client.domain.document import (
    SECRECY_ALLOWED,
    URGENCY_ALLOWED,
    DocKind,
    parse_document,
    problems,
)
from oa_client.errors import ValidationError
from oa_client.i18n import _
from oa_client.services.documents_routing import Department
from ui.documents.departments import DepartmentList
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QShortcut,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)

#: element → its name in messages (gettext ids, marked below)
ELEMENT_LABELS = {
    "kind": "文种", "secrecy": "密级", "urgency": "紧急程度", "title": "标题", "main_to": "主送机关",
    "cc_to": "抄送机关", "body": "正文", "attachments": "附件", "note": "附注",
    "issuer_name": "发文机关署名", "countersign_departments": "会签部门", "date": "成文日期",
    "signers": "签发人", "copy_no": "份号", "doc_number": "发文字号", "secrecy_term": "保密期限",
    "co_issuing_units": "联合发文机关", "printer": "印发机关", "print_date": "印发日期",
}
_ELEMENT_IDS = (_("文种"), _("密级"), _("紧急程度"), _("标题"), _("主送机关"), _("抄送机关"), _("正文"),
                _("附件"), _("附注"), _("发文机关署名"), _("会签部门"), _("成文日期"), _("签发人"),
                _("份号"), _("发文字号"), _("保密期限"), _("联合发文机关"), _("印发机关"), _("印发日期"))
#: the elements the form keeps as typed text (None when empty)
TEXT_ELEMENTS = ("copy_no", "secrecy_term", "note", "issuer_name", "date", "printer", "print_date")
BAD_STYLE = "border:2px solid #c00000; background:#fff4f4"
MAX_ATTACHMENT_MB = 50


def _split(text: str) -> list[str]:
    parts = text.replace("，", "、").replace(",", "、").replace("；", "、").split("、")
    return [p.strip() for p in parts if p.strip()]


class UnitPicker(QDialog):
    """Tick units from the local org list (主送 / 抄送)."""

    def __init__(self, units: list[str], chosen: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("选择单位"))
        layout = QVBoxLayout(self)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(_("输入单位名称筛选"))
        self.filter.textChanged.connect(self._filter)
        layout.addWidget(self.filter)
        self.list = QListWidget()
        for name in units:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        layout.addWidget(self.list, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("确定"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(420, 480)

    def _filter(self, text: str) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(text) and text not in item.text())

    def chosen(self) -> list[str]:
        """The ticked units in list order."""
        return [self.list.item(i).text() for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]


class ComposeForm(QWidget):
    """The elements of a new 发文; `check(submit)` names the first wrong element."""

    save_requested = Signal(dict)  # values, kept as a 草稿
    submit_requested = Signal(dict)  # values, sent on to 核稿

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.units: list[str] = []
        self.departments: list[Department] | None = None  # my unit's, once read
        self.doc_id: str | None = None  # set once the draft was saved
        self.marked: str | None = None  # the element marked wrong
        self.attachment_files: list[dict[str, Any]] = []  # {name, data?, path, size}
        layout = QVBoxLayout(self)
        self.heading = QLabel(_("拟稿：新建发文"))
        self.heading.setStyleSheet("font-size:18px;font-weight:bold;color:#8b0000")
        layout.addWidget(self.heading)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.kind = QComboBox()
        for k in DocKind:
            self.kind.addItem(k.value, k.value)
        self.kind.setCurrentText(DocKind.NOTICE.value)
        self.secrecy = QComboBox()
        for s in SECRECY_ALLOWED:
            self.secrecy.addItem(s, s)
        self.urgency = QComboBox()
        self.urgency.addItem(_("（不标注）"), "")
        for u in URGENCY_ALLOWED:
            self.urgency.addItem(u, u)
        for combo in (self.kind, self.secrecy, self.urgency):
            combo.setMinimumContentsLength(6)
        top = QHBoxLayout()
        for label, combo in ((_("文种(&K)"), self.kind), (_("密级"), self.secrecy),
                             (_("紧急程度"), self.urgency)):
            lab = QLabel(label)
            lab.setBuddy(combo)
            top.addWidget(lab)
            top.addWidget(combo)
            top.addSpacing(10)
        top.addStretch(1)
        form.addRow(top)
        self.title = QLineEdit()
        self.title.setPlaceholderText(_("发文机关＋事由＋文种，如：普宁市人民政府办公室关于……的通知"))
        self.main_to = QLineEdit()
        self.main_to.setPlaceholderText(_("多个单位用“、”分隔"))
        self.cc_to = QLineEdit()
        self.cc_to.setPlaceholderText(_("多个单位用“、”分隔"))
        self.main_pick = QPushButton(_("选择…"))
        self.cc_pick = QPushButton(_("选择…"))
        self.main_pick.clicked.connect(lambda: self._pick(self.main_to))
        self.cc_pick.clicked.connect(lambda: self._pick(self.cc_to))
        # 会签: my unit's departments from the org chart, each shown with its 科长 who signs
        self.countersign = DepartmentList()
        self.countersign.setObjectName("compose-countersign")
        self.countersign.setAccessibleName(_("会签部门"))
        self.countersign.setToolTip(_("勾选需要会签的本单位科室（由科长会签），可不选"))
        self.countersign.setMaximumHeight(72)
        self.countersign.itemChanged.connect(lambda *_a: self._clear_mark("countersign_departments"))
        self.body = QPlainTextEdit()
        self.body.setTabChangesFocus(True)
        self.body.setPlaceholderText(_("正文。一级标题用“一、”，二级标题用“（一）”。"))
        self.body.setMinimumHeight(180)
        self.attachments = QListWidget()
        self.attachments.setMaximumHeight(80)
        self.add_attachment = QPushButton(_("添加附件…"))
        self.add_attachment.clicked.connect(self._choose_files)
        self.remove_attachment = QPushButton(_("移除"))
        self.remove_attachment.clicked.connect(self._remove_file)
        self.note = QLineEdit()
        self.note.setPlaceholderText(_("如：联系人及电话"))
        self.issuer_name = QLineEdit()
        self.date = QLineEdit()
        self.date.setPlaceholderText(_("如 2026-03-05；不填则取签发日期"))
        # GB/T 9704 elements the office usually fills: 份号, 保密期限 (with 密级 内部 only),
        # 联合发文 (the other issuing units; the number takes the lead unit's 代字), 版记
        self.copy_no = QLineEdit()
        self.copy_no.setPlaceholderText(_("1 至 6 位数字，可不填"))
        self.secrecy_term = QLineEdit()
        self.secrecy_term.setPlaceholderText(_("如：1年（仅“内部”公文）"))
        self.secrecy.currentIndexChanged.connect(self._secrecy_changed)
        self.co_issuing = QLineEdit()
        self.co_issuing.setPlaceholderText(_("与本单位联合发文的机关，多个用“、”分隔；文号用本单位代字"))
        self.co_pick = QPushButton(_("选择…"))
        self.co_pick.clicked.connect(lambda: self._pick(self.co_issuing))
        self.printer = QLineEdit()
        self.printer.setPlaceholderText(_("版记：如本单位办公室"))
        self.print_date = QLineEdit()
        self.print_date.setPlaceholderText(_("版记：如 2026-03-05，可在编号时填写"))
        self.labels: dict[str, QLabel] = {}

        def row(key: str, widget: QWidget, *extra: QWidget, mnemonic: str = "") -> None:
            lab = QLabel(_(ELEMENT_LABELS[key]) + mnemonic)
            lab.setBuddy(widget)
            self.labels[key] = lab
            if extra:
                box = QHBoxLayout()
                box.addWidget(widget, 1)
                for e in extra:
                    box.addWidget(e)
                form.addRow(lab, box)
            else:
                form.addRow(lab, widget)

        row("title", self.title, mnemonic="(&T)")
        row("main_to", self.main_to, self.main_pick, mnemonic="(&M)")
        row("cc_to", self.cc_to, self.cc_pick)
        row("copy_no", self.copy_no, QLabel(_("保密期限")), self.secrecy_term)
        row("countersign_departments", self.countersign)
        row("co_issuing_units", self.co_issuing, self.co_pick)
        row("body", self.body, mnemonic="(&B)")
        row("attachments", self.attachments, self.add_attachment, self.remove_attachment)
        row("note", self.note)
        row("issuer_name", self.issuer_name, QLabel(_("成文日期")), self.date)
        row("printer", self.printer, QLabel(_("印发日期")), self.print_date)
        self.labels["secrecy_term"] = self.labels["copy_no"]  # shares the 份号 row
        self.labels["print_date"] = self.labels["printer"]
        self.labels["date"] = self.labels["issuer_name"]
        self._secrecy_changed()
        layout.addLayout(form, 1)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color:#b00000;font-weight:bold")
        self.problem.setAccessibleName(_("填写问题"))
        layout.addWidget(self.problem)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.save_button = QPushButton(_("保存草稿 (Ctrl+S)"))
        self.submit_button = QPushButton(_("送核稿 (Ctrl+Enter)"))
        self.submit_button.setDefault(True)
        self.save_button.clicked.connect(lambda: self.request(submit=False))
        self.submit_button.clicked.connect(lambda: self.request(submit=True))
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.submit_button)
        layout.addLayout(buttons)
        QShortcut(QKeySequence.StandardKey.Save, self, lambda: self.request(submit=False))
        QShortcut(QKeySequence("Ctrl+Return"), self, lambda: self.request(submit=True))
        self.widgets: dict[str, QWidget] = {
            "kind": self.kind, "secrecy": self.secrecy, "urgency": self.urgency,
            "title": self.title, "main_to": self.main_to, "cc_to": self.cc_to,
            "countersign_departments": self.countersign, "body": self.body,
            "attachments": self.attachments, "note": self.note, "issuer_name": self.issuer_name,
            "date": self.date, "copy_no": self.copy_no, "secrecy_term": self.secrecy_term,
            "co_issuing_units": self.co_issuing, "printer": self.printer,
            "print_date": self.print_date,
        }
        order = [self.kind, self.secrecy, self.urgency, self.title, self.main_to, self.main_pick,
                 self.cc_to, self.cc_pick, self.copy_no, self.secrecy_term, self.countersign,
                 self.co_issuing, self.co_pick, self.body, self.attachments,
                 self.add_attachment, self.remove_attachment, self.note, self.issuer_name,
                 self.date, self.printer, self.print_date, self.save_button, self.submit_button]
        for a, b in itertools.pairwise(order):
            QWidget.setTabOrder(a, b)
        for key, w in self.widgets.items():
            signal = getattr(w, "textChanged", None) or getattr(w, "currentIndexChanged", None)
            if signal is not None:
                signal.connect(lambda *_a, key=key: self._clear_mark(key))

    # -- values --------------------------------------------------------------------------

    def set_units(self, units: list[str], issuer_name: str = "") -> None:
        """Unit names offered by 选择…; the default 发文机关署名."""
        self.units = units
        if issuer_name and not self.issuer_name.text():
            self.issuer_name.setText(issuer_name)

    def set_departments(self, departments: list[Department]) -> None:
        """My unit's departments offered for 会签 (what is ticked stays ticked)."""
        chosen = self.countersign.chosen()
        self.departments = list(departments)
        self.countersign.set_departments(self.departments, names=chosen)

    def load(self, values: dict[str, Any]) -> None:
        """Fill the form from a draft (domain element names; `doc_kind` also accepted)."""
        self.kind.setCurrentText(str(values.get("kind") or values.get("doc_kind") or "通知"))
        self.secrecy.setCurrentText(str(values.get("secrecy") or "非涉密"))
        i = self.urgency.findData(values.get("urgency") or "")
        self.urgency.setCurrentIndex(max(i, 0))
        self.title.setText(values.get("title") or "")
        self.main_to.setText("、".join(values.get("main_to") or []))
        self.cc_to.setText("、".join(values.get("cc_to") or []))
        self.countersign.set_departments(self.departments or [],
                                         names=list(values.get("countersign_departments") or []))
        self.body.setPlainText(values.get("body") or "")
        self.note.setText(values.get("note") or "")
        self.issuer_name.setText(values.get("issuer_name") or self.issuer_name.text())
        for key in ("copy_no", "secrecy_term", "date", "printer", "print_date"):
            self.widgets[key].setText(str(values.get(key) or ""))  # type: ignore[attr-defined]
        self.co_issuing.setText("、".join(values.get("co_issuing_units") or []))
        self.attachment_files = [dict(a) for a in values.get("attachments") or []]
        self._show_files()

    def values(self) -> dict[str, Any]:
        """The elements as typed (domain names), attachments with their bytes when added here."""
        return {
            "kind": self.kind.currentData(), "secrecy": self.secrecy.currentData(),
            "urgency": self.urgency.currentData() or None, "title": self.title.text().strip(),
            "main_to": _split(self.main_to.text()), "cc_to": _split(self.cc_to.text()),
            "countersign_departments": self.countersign.chosen(),
            "body": self.body.toPlainText(),
            **{k: self.widgets[k].text().strip() or None  # type: ignore[attr-defined]
               for k in TEXT_ELEMENTS},
            "co_issuing_units": _split(self.co_issuing.text()),
            "attachments": list(self.attachment_files),
        }

    # -- checking ------------------------------------------------------------------------

    def check(self, *, submit: bool) -> ValidationError | None:
        """The first wrong element (draft: contradictions; submit: content for 签发 too)."""
        v = self.values()
        data = {k: v[k] for k in ("kind", "secrecy", "urgency", "title", "main_to", "cc_to",
                                  "body", *TEXT_ELEMENTS)}
        if data["secrecy"] != "内部" and data["secrecy_term"]:
            return ValidationError(_("只有“内部”公文标注保密期限"), field="secrecy_term")
        data["attachments"] = [{"name": a["name"]} for a in v["attachments"]]
        try:
            doc = parse_document(data, stage="draft")
        except ValidationError as exc:
            return exc
        wrong = self._countersign_problem()
        if wrong is not None:
            return wrong
        if submit:
            found = problems(doc, stage="sign_off")
            if found:
                return found[0]
        too_big = [a["name"] for a in v["attachments"]
                   if int(a.get("size") or 0) > MAX_ATTACHMENT_MB * 1024 * 1024]
        if too_big:
            return ValidationError(_("附件超过 {mb} MB，不能上传：{names}").format(
                mb=MAX_ATTACHMENT_MB, names="、".join(too_big)), field="attachments")
        return None

    def _countersign_problem(self) -> ValidationError | None:
        """A ticked 会签 department the org chart does not know, or with nobody to sign."""
        if self.departments is None:
            return None  # not read yet: saving checks it against the org chart
        unknown = self.countersign.unknown()
        if unknown:
            return ValidationError(_("本单位没有这些科室：{names}。请取消勾选，改选本单位的科室").format(
                names="、".join(unknown)), field="countersign_departments")
        nobody = self.countersign.without_chief()
        if nobody:
            return ValidationError(_("“{names}”没有科长，无人会签，请选择其他科室").format(
                names="、".join(nobody)), field="countersign_departments")
        return None

    def show_problem(self, exc: BaseException) -> None:
        """Name the wrong element, mark it and put the cursor there."""
        field = getattr(exc, "field", None)
        key = (field or "").split(".")[0]
        key = {"doc_kind": "kind"}.get(key, key)
        label = _(ELEMENT_LABELS[key]) if key in ELEMENT_LABELS else ""
        text = error_text(exc)
        self.problem.setText(f"【{label}】{text}" if label else text)
        widget = self.widgets.get(key)
        self.marked = key if widget is not None else None
        if widget is not None:
            widget.setStyleSheet(BAD_STYLE)
            widget.setFocus()

    def _secrecy_changed(self, *_args: object) -> None:
        """保密期限 goes with 密级 内部 only."""
        self.secrecy_term.setEnabled(self.secrecy.currentData() == "内部")

    def _clear_mark(self, key: str) -> None:
        """Typing in the marked element clears its mark and the message."""
        if key == self.marked:
            self.widgets[key].setStyleSheet("")
            self.problem.setText("")
            self.marked = None

    def request(self, *, submit: bool) -> bool:
        """Check, then ask for saving (or submitting); False when an element is wrong."""
        for w in self.widgets.values():
            w.setStyleSheet("")
        self.marked = None
        self.problem.setStyleSheet("color:#b00000;font-weight:bold")
        problem = self.check(submit=submit)
        if problem is not None:
            self.show_problem(problem)
            return False
        self.problem.setText("")
        (self.submit_requested if submit else self.save_requested).emit(self.values())
        return True

    # -- attachments ---------------------------------------------------------------------

    def _pick(self, edit: QLineEdit) -> None:
        picker = UnitPicker(self.units, _split(edit.text()), self)
        if picker.exec():
            edit.setText("、".join(picker.chosen()))

    def _choose_files(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(self, _("添加附件"))
        if paths:
            self.add_files([Path(p) for p in paths])

    def add_files(self, paths: list[Path], done: Callable[[], None] | None = None) -> None:
        """Read the files on a worker and list them (their size is checked on save)."""
        def read(_cancel) -> list[dict[str, Any]]:
            out = []
            for p in paths:
                size = p.stat().st_size
                data = p.read_bytes() if size <= MAX_ATTACHMENT_MB * 1024 * 1024 else None
                out.append({"name": p.name, "size": size, "data": data})
            return out

        def added(files: list[dict[str, Any]]) -> None:
            self.attachment_files.extend(files)
            self._show_files()
            self._clear_mark("attachments")
            if done is not None:
                done()

        run_op(self, read, success=added, failure=self.show_problem, pool="general",
               label=_("正在读取附件…"))

    def _remove_file(self) -> None:
        row = self.attachments.currentRow()
        if 0 <= row < len(self.attachment_files):
            del self.attachment_files[row]
            self._show_files()

    def _show_files(self) -> None:
        self.attachments.clear()
        for a in self.attachment_files:
            size = int(a.get("size") or 0)
            text = a["name"] + (f"（{size / 1024:.0f} KB）" if size else "")
            self.attachments.addItem(text)

    def problem_html(self) -> str:
        """The shown problem as HTML (for tests and screenshots)."""
        return html.escape(self.problem.text())


class ComposeWindow(QWidget):
    """The compose form in its own window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(_("拟稿：新建发文"))
        layout = QVBoxLayout(self)
        self.form = ComposeForm()
        layout.addWidget(self.form)
        self.resize(900, 820)
        QShortcut(QKeySequence("Esc"), self, self.close)

"""数据项目录: one data item's definition — code, name, type, unit of measure, checks, period,
owning department — as the office that defined it edits it (a change is a new version), retires
it (停用) or restores it; everyone else reads it."""

from __future__ import annotations

from typing import Any

from oa_client.i18n import _
from oa_client.services import reports_dictionary as rd
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    Signal,
)

TYPES = {"integer": "整数", "decimal": "小数", "text": "文本", "choice": "选项", "date": "日期", "yes_no": "是/否"}
PERIODS = {"monthly": "月度", "quarterly": "季度", "yearly": "年度", "one_off": "一次性"}
AGGREGATES = {"sum": "汇总时相加", "mean": "汇总时取平均（人均、比率类）"}
_IDS = (_("整数"), _("小数"), _("文本"), _("选项"), _("日期"), _("是/否"), _("月度"), _("季度"), _("年度"),
        _("一次性"), _("汇总时相加"), _("汇总时取平均（人均、比率类）"), _("编码："), _("名称："), _("英文名称："),
        _("类型："), _("计量单位："), _("小数位数："), _("最小值："), _("最大值："), _("填写要求："), _("格式规则："),
        _("选项："), _("报告期："), _("主管部门："), _("累计："), _("结转："), _("汇总方式："), _("说明："))


def _combo(choices: dict[str, str]) -> QComboBox:
    box = QComboBox()
    for key, label in choices.items():
        box.addItem(_(label), key)
    return box


class DictionaryPanel(QWidget):
    """Edit (or read) one data item; `saved` after a definition, revision, retirement or restore."""

    saved = Signal(str)  # the item's code

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = None
        self.entry: rd.Entry | None = None
        self._last_code: str | None = None  # the item shown or just saved (its status line stays)
        layout = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 16px; font-weight: bold; color: #8b0000")
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setStyleSheet("color: #555")
        layout.addWidget(self.title)
        layout.addWidget(self.info)
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setPlaceholderText(_("大写字母、数字和下划线，如 POP_TOTAL"))
        self.name = QLineEdit()
        self.en = QLineEdit()
        self.type = _combo(TYPES)
        self.type.currentIndexChanged.connect(lambda _i: self._type_changed())
        self.unit = QLineEdit()
        self.unit.setPlaceholderText(_("如 人、户、元、亩、公里"))
        self.places = QSpinBox()
        self.places.setRange(0, 6)
        self.places.setValue(2)
        self.min = QLineEdit()
        self.max = QLineEdit()
        self.required = QCheckBox(_("必须填写"))
        self.pattern = QLineEdit()
        self.pattern.setPlaceholderText(_("正则表达式，如 1\\d{10}（手机号）"))
        self.options = QLineEdit()
        self.options.setPlaceholderText(_("用顿号或逗号分隔，如 无、Ⅳ级、Ⅲ级"))
        self.period = _combo(PERIODS)
        self.owner = QLineEdit()
        self.owner.setPlaceholderText(_("数据来源部门，如 公安局"))
        self.cumulative = QCheckBox(_("累计数（本期不应小于上期）"))
        self.carry = QCheckBox(_("下期自动带入本期数（免重复填报）"))
        self.aggregate = _combo(AGGREGATES)
        self.description = QLineEdit()
        self.labels: dict[str, QLabel] = {}
        rows: list[tuple[str, QWidget]] = [
            ("编码：", self.code), ("名称：", self.name), ("英文名称：", self.en), ("类型：", self.type),
            ("计量单位：", self.unit), ("小数位数：", self.places), ("最小值：", self.min), ("最大值：", self.max),
            ("填写要求：", self.required), ("格式规则：", self.pattern), ("选项：", self.options),
            ("报告期：", self.period), ("主管部门：", self.owner), ("累计：", self.cumulative),
            ("结转：", self.carry), ("汇总方式：", self.aggregate), ("说明：", self.description)]
        for text, widget in rows:
            label = QLabel(_(text))
            self.labels[text] = label
            form.addRow(label, widget)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(_("保存"))
        self.save_button.clicked.connect(self.save)
        self.retire_button = QPushButton()
        self.retire_button.clicked.connect(self.toggle_retired)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.retire_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.show_entry(None)

    def set_session(self, session) -> None:
        """The signed-in office (only it may change the items it defined)."""
        self.session = session

    # -- showing -------------------------------------------------------------------------

    def show_entry(self, entry: rd.Entry | None) -> None:
        """Show an item (None: a blank form to define a new one); the same item again keeps its status line."""
        if entry is None or entry.code != self._last_code:
            self.status.clear()
        self.entry = entry
        self._last_code = entry.code if entry else None
        item = entry.item if entry else None
        self.code.setText(item.code if item else "")
        self.code.setReadOnly(item is not None)
        self.name.setText(item.name if item else "")
        self.en.setText(item.en if item else "")
        self.type.setCurrentIndex(max(0, self.type.findData(item.type if item else "integer")))
        self.unit.setText(item.unit if item else "")
        self.places.setValue(item.places if item and item.places is not None else 2)
        self.min.setText("" if not item or item.min is None else str(item.min))
        self.max.setText("" if not item or item.max is None else str(item.max))
        self.required.setChecked(bool(item and item.required))
        self.pattern.setText(item.pattern or "" if item else "")
        self.options.setText("、".join(item.options) if item else "")
        self.period.setCurrentIndex(max(0, self.period.findData(item.period if item else "quarterly")))
        self.owner.setText(item.owner if item else "")
        self.cumulative.setChecked(bool(item and item.cumulative))
        self.carry.setChecked(bool(item and item.carry_forward))
        self.aggregate.setCurrentIndex(max(0, self.aggregate.findData(item.aggregate if item else "sum")))
        self.description.setText(item.description if item else "")
        self._describe()
        self._type_changed()

    def _mine(self) -> bool:
        return self.entry is None or (self.session is not None and self.entry.unit_id == str(self.session.unit_id))

    def _describe(self) -> None:
        entry = self.entry
        if entry is None:
            self.title.setText(_("新建数据项"))
            self.info.setText(_("数据项只定义一次，各报表从目录中选用，填报单位不必重复填写。保存后联网同步，由服务器编定版本。"))
        else:
            retired = _("（已停用）") if entry.retired else ""
            self.title.setText(_("{code} {name}{retired}").format(code=entry.code, name=entry.item.title(), retired=retired))
            older = "、".join(_("第{v}版").format(v=h.version) for h in entry.history) or _("无")
            text = _("定义单位：{unit}    当前第{v}版    历史版本：{older}").format(
                unit=entry.unit_name or _("（未同步）"), v=entry.item.version, older=older)
            if not self._mine():
                text += "\n" + _("本数据项由{unit}维护，其他单位只能查看和选用。").format(unit=entry.unit_name or _("其他单位"))
            self.info.setText(text)
        editable = self._mine()
        for w in (self.name, self.en, self.unit, self.min, self.max, self.pattern, self.options, self.owner,
                  self.description):
            w.setReadOnly(not editable)
        for w in (self.type, self.places, self.required, self.period, self.cumulative, self.carry, self.aggregate):
            w.setEnabled(editable)
        self.save_button.setEnabled(editable)
        self.retire_button.setVisible(entry is not None and editable)
        self.retire_button.setText(_("恢复启用") if entry and entry.retired else _("停用"))
        self.retire_button.setToolTip(_("停用后，已使用它的报表照常填报，新报表不能再选用"))

    def _type_changed(self) -> None:
        kind = self.type.currentData()
        numeric = kind in ("integer", "decimal")
        for key, widget in (("小数位数：", self.places), ("最小值：", self.min), ("最大值：", self.max),
                            ("计量单位：", self.unit), ("累计：", self.cumulative), ("汇总方式：", self.aggregate)):
            widget.setVisible(numeric)
            self.labels[key].setVisible(numeric)
        self.places.setVisible(kind == "decimal")
        self.labels["小数位数："].setVisible(kind == "decimal")
        for key, widget in (("选项：", self.options),):
            widget.setVisible(kind == "choice")
            self.labels[key].setVisible(kind == "choice")
        self.pattern.setVisible(kind == "text")
        self.labels["格式规则："].setVisible(kind == "text")

    # -- writing -------------------------------------------------------------------------

    def fields(self) -> dict[str, Any]:
        """What the form holds, as a data item's fields."""
        kind = self.type.currentData()
        numeric = kind in ("integer", "decimal")
        options = [o.strip() for o in self.options.text().replace(",", "、").replace("，", "、").split("、") if o.strip()]
        return {
            "code": self.code.text().strip(), "name": self.name.text().strip(), "en": self.en.text().strip(),
            "type": kind, "unit": self.unit.text().strip() if numeric else "",
            "places": self.places.value() if kind == "decimal" else None,
            "min": (self.min.text().strip() or None) if numeric else None,
            "max": (self.max.text().strip() or None) if numeric else None,
            "required": self.required.isChecked(), "pattern": (self.pattern.text().strip() or None) if kind == "text" else None,
            "options": options if kind == "choice" else [], "period": self.period.currentData(),
            "owner": self.owner.text().strip(), "cumulative": self.cumulative.isChecked() and numeric,
            "carry_forward": self.carry.isChecked(), "aggregate": self.aggregate.currentData() if numeric else "sum",
            "description": self.description.text().strip(),
        }

    def save(self) -> None:
        """Define the item, or revise it (a new version once the server has it)."""
        if self.session is None:
            return
        store, unit, new = self.session.store, str(self.session.unit_id), self.entry is None
        fields = self.fields()

        def write(_c):
            item = rd.make_item(fields)
            rd.save_item(store, item, unit_id=unit, new=new)
            return item.code

        run_op(self, write, success=self._saved, failure=self._failed)

    def toggle_retired(self) -> None:
        """停用 / 恢复启用."""
        if self.session is None or self.entry is None:
            return
        store, unit, code, retire = self.session.store, str(self.session.unit_id), self.entry.code, not self.entry.retired
        run_op(self, lambda _c: (rd.set_retired(store, code, retired=retire, unit_id=unit), code)[1],
               success=self._saved, failure=self._failed)

    def _saved(self, code: str) -> None:
        self._last_code = code
        self.status.setStyleSheet("color: #006400")
        self.status.setText(_("已保存“{code}”，联网后同步到数据项目录").format(code=code))
        self.saved.emit(code)

    def _failed(self, exc: BaseException) -> None:
        self.status.setStyleSheet("color: #b00000")
        problems = getattr(exc, "problems", None)
        self.status.setText("\n".join(str(p) for p in problems) if problems else error_text(exc))

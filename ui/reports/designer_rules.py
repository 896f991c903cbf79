"""The designer's rules and computed figures, built by choosing items from the report (never typed
as formulas): 合计相等, 比值范围, 比较, 累计不减; 求和, 相减, 相除, 乘以系数 — on the whole form or
row by row in a table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oa_client.domain.reports import NUMERIC_ITEMS, DataItem
from oa_client.i18n import _
from ui.qt import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
)

RULE_KINDS = {"sum_equals": "分项之和等于合计", "ratio_between": "两项之比在范围内", "compare": "两项比较",
              "not_decrease": "累计数不小于上期"}
OPS = {"le": "≤", "lt": "<", "ge": "≥", "gt": ">", "eq": "=", "ne": "≠"}
COMPUTE_OPS = {"sum": "求和", "difference": "相减（第一项减其余各项）", "ratio": "相除（第一项÷第二项）",
               "times": "乘以系数"}
_IDS = (_("分项之和等于合计"), _("两项之比在范围内"), _("两项比较"), _("累计数不小于上期"), _("求和"),
        _("相减（第一项减其余各项）"), _("相除（第一项÷第二项）"), _("乘以系数"))

#: the design being edited, and the dictionary's items by code
Design = dict[str, Any]
Items = dict[str, DataItem]


def refs(design: Design, items: Items, table: str | None) -> list[tuple[str, str]]:
    """(reference, label) of the numeric figures a rule may read: the fields and each table's column
    totals on the whole form, or one table's columns row by row."""
    def numeric(code: str) -> bool:
        return code in items and items[code].type in NUMERIC_ITEMS

    def label(ref: dict[str, Any]) -> str:
        return str(ref.get("label") or (items[ref["code"]].name if ref.get("code") in items else ref.get("code")))

    if table is not None:
        cols = next((t.get("columns") or [] for t in design.get("tables") or [] if t.get("key") == table), [])
        return [(c["code"], label(c)) for c in cols if numeric(c["code"])]
    out = [(r["code"], label(r)) for s in design.get("sections") or [] for r in s.get("items") or [] if numeric(r["code"])]
    for t in design.get("tables") or []:
        out += [(f"{t['key']}.{c['code']}", _("{table}{label}合计").format(table=t.get("title", ""), label=label(c)))
                for c in t.get("columns") or [] if numeric(c["code"])]
    return out


def describe_rule(rule: dict[str, Any], names: dict[str, str]) -> str:
    """A rule in words: 男性人口 + 女性人口 = 户籍人口."""
    n = lambda r: names.get(r, r)  # noqa: E731
    scope = _("（逐行）") if rule.get("table") else ""
    kind = rule.get("kind")
    if kind == "sum_equals":
        text = " + ".join(n(p) for p in rule.get("parts") or []) + " = " + n(rule.get("total", ""))
    elif kind == "ratio_between":
        text = _("{a} ÷ {b} 在 {low} 至 {high} 之间").format(a=n(rule.get("numerator", "")), b=n(rule.get("denominator", "")),
                                                          low=rule.get("min", "-"), high=rule.get("max", "-"))
    elif kind == "compare":
        right = n(rule["right"]) if rule.get("right") else str(rule.get("value", ""))
        text = f"{n(rule.get('left', ''))} {OPS.get(rule.get('op', 'le'), '')} {right}"
    else:
        text = _("{items} 不小于上期").format(items="、".join(n(f) for f in rule.get("fields") or []))
    return scope + text


def describe_computed(comp: dict[str, Any], names: dict[str, str]) -> str:
    """A computed figure in words: 户均人口 = 人口 ÷ 户数."""
    n = lambda r: names.get(r, r)  # noqa: E731
    args = [n(a) for a in comp.get("args") or []]
    joined = {"sum": " + ", "difference": " − ", "ratio": " ÷ "}.get(comp.get("op", ""), "")
    text = joined.join(args) if joined else _("{a} × {rate}").format(a=args[0] if args else "", rate=comp.get("rate", 1))
    scope = _("（逐行）") if comp.get("table") else ""
    return f"{scope}{n(comp.get('target', ''))} = {text}"


class _Picker(QListWidget):
    """A checkable list of references."""

    def set_refs(self, options: list[tuple[str, str]]) -> None:
        self.clear()
        for ref, label in options:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, ref)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.addItem(item)

    def checked(self) -> list[str]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())
                if self.item(i).checkState() == Qt.CheckState.Checked]

    def check(self, refs: list[str]) -> None:
        for i in range(self.count()):
            item = self.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in refs else Qt.CheckState.Unchecked)


def _refs_combo(options: list[tuple[str, str]]) -> QComboBox:
    box = QComboBox()
    for ref, label in options:
        box.addItem(label, ref)
    return box


class _Editor(QWidget):
    """A list of entries with an add form below (shared by rules and computed figures)."""

    def __init__(self, design: Callable[[], Design], items: Items, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.design, self.items, self.key = design, items, key
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setMinimumHeight(80)
        layout.addWidget(self.list, 1)
        self.remove_button = QPushButton(_("删除所选"))
        self.remove_button.clicked.connect(self.remove_selected)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.remove_button)
        layout.addLayout(row)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.scope = QComboBox()
        self.scope.currentIndexChanged.connect(lambda _i: self.refresh_refs())
        self.add_button = QPushButton()
        self.add_button.clicked.connect(self.add)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b00000")

    def names(self) -> dict[str, str]:
        """reference → label, for describing entries."""
        out = {}
        for table in [None, *[t["key"] for t in self.design().get("tables") or []]]:
            out.update(dict(refs(self.design(), self.items, table)))
        return out

    def entries(self) -> list[dict[str, Any]]:
        """The design's list this editor edits."""
        return self.design().setdefault(self.key, [])

    def refresh(self) -> None:
        """Re-list the entries and the scopes (tables may have changed)."""
        names = self.names()
        self.list.clear()
        for entry in self.entries():
            self.list.addItem(self.describe(entry, names))
        chosen = self.scope.currentData()
        self.scope.blockSignals(True)
        self.scope.clear()
        self.scope.addItem(_("整张报表"), None)
        for t in self.design().get("tables") or []:
            self.scope.addItem(_("逐行：{table}").format(table=t.get("title", "")), t["key"])
        self.scope.setCurrentIndex(max(0, self.scope.findData(chosen)))
        self.scope.blockSignals(False)
        self.refresh_refs()

    def options(self) -> list[tuple[str, str]]:
        """The references of the chosen scope."""
        return refs(self.design(), self.items, self.scope.currentData())

    def remove_selected(self) -> None:
        """Drop the selected entry."""
        row = self.list.currentRow()
        if 0 <= row < len(self.entries()):
            del self.entries()[row]
            self.refresh()

    def describe(self, entry: dict[str, Any], names: dict[str, str]) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def refresh_refs(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def add(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class RulesEditor(_Editor):
    """校验规则."""

    def __init__(self, design: Callable[[], Design], items: Items, parent: QWidget | None = None) -> None:
        super().__init__(design, items, "rules", parent)
        self.kind = QComboBox()
        for key, label in RULE_KINDS.items():
            self.kind.addItem(_(label), key)
        self.kind.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self.pages = QStackedWidget()
        self.total, self.parts = QComboBox(), _Picker()
        self.numerator, self.denominator, self.low, self.high = QComboBox(), QComboBox(), QLineEdit("0"), QLineEdit("1")
        self.left, self.op, self.right, self.value = QComboBox(), QComboBox(), QComboBox(), QLineEdit()
        for key, sign in OPS.items():
            self.op.addItem(sign, key)
        self.fields = _Picker()
        self.value.setPlaceholderText(_("或填一个数值"))
        for rows in ([(_("合计："), self.total), (_("分项："), self.parts)],
                     [(_("分子："), self.numerator), (_("分母："), self.denominator), (_("最小："), self.low), (_("最大："), self.high)],
                     [(_("左边："), self.left), (_("关系："), self.op), (_("右边："), self.right), (_("数值："), self.value)],
                     [(_("累计项："), self.fields)]):
            page = QWidget()
            pf = QFormLayout(page)
            pf.setContentsMargins(0, 0, 0, 0)
            for label, widget in rows:
                pf.addRow(label, widget)
            self.pages.addWidget(page)
        self.message = QLineEdit()
        self.message.setPlaceholderText(_("出错时给填报人的提示（可不填，系统自动生成）"))
        self.add_button.setText(_("添加规则"))
        self.form.addRow(_("规则："), self.kind)
        self.form.addRow(_("范围："), self.scope)
        self.form.addRow(self.pages)
        self.form.addRow(_("提示："), self.message)
        self.form.addRow(self.problem, self.add_button)
        self.refresh()

    def describe(self, entry: dict[str, Any], names: dict[str, str]) -> str:
        """A rule in words."""
        return describe_rule(entry, names)

    def _kind_changed(self) -> None:
        self.pages.setCurrentIndex(list(RULE_KINDS).index(self.kind.currentData()))

    def refresh_refs(self) -> None:
        """Offer the references of the chosen scope in every chooser."""
        options = self.options()
        for box in (self.total, self.numerator, self.denominator, self.left):
            box.clear()
            for ref, label in options:
                box.addItem(label, ref)
        self.right.clear()
        self.right.addItem(_("（填数值）"), None)
        for ref, label in options:
            self.right.addItem(label, ref)
        self.parts.set_refs(options)
        self.fields.set_refs(options)
        self._kind_changed()

    def add(self) -> None:
        """Add the rule the form describes (the designer's check says if it is incomplete)."""
        kind = self.kind.currentData()
        rule: dict[str, Any] = {"kind": kind}
        if self.scope.currentData():
            rule["table"] = self.scope.currentData()
        if kind == "sum_equals":
            rule.update(total=self.total.currentData(), parts=self.parts.checked())
            if not rule["parts"] or rule["total"] in rule["parts"]:
                self.problem.setText(_("请勾选分项（不含合计项本身）"))
                return
        elif kind == "ratio_between":
            rule.update(numerator=self.numerator.currentData(), denominator=self.denominator.currentData(),
                        min=self.low.text().strip() or None, max=self.high.text().strip() or None)
        elif kind == "compare":
            rule.update(left=self.left.currentData(), op=self.op.currentData())
            if self.right.currentData():
                rule["right"] = self.right.currentData()
            elif self.value.text().strip():
                rule["value"] = self.value.text().strip()
            else:
                self.problem.setText(_("请选择右边的项目或填写数值"))
                return
        else:
            rule["fields"] = self.fields.checked()
            if not rule["fields"]:
                self.problem.setText(_("请勾选累计项"))
                return
        if self.message.text().strip():
            rule["message"] = self.message.text().strip()
        if any(v is None for k, v in rule.items() if k in ("total", "numerator", "denominator", "left")):
            self.problem.setText(_("报表中还没有可用于规则的数字项"))
            return
        self.problem.clear()
        self.entries().append({k: v for k, v in rule.items() if v is not None})
        self.message.clear()
        self.refresh()


class ComputedEditor(_Editor):
    """计算项: figures the system fills in (read-only for the clerk)."""

    def __init__(self, design: Callable[[], Design], items: Items, parent: QWidget | None = None) -> None:
        super().__init__(design, items, "computed", parent)
        self.target = QComboBox()
        self.op = QComboBox()
        for key, label in COMPUTE_OPS.items():
            self.op.addItem(_(label), key)
        self.args = _Picker()
        self.rate = QLineEdit()
        self.rate.setPlaceholderText(_("乘以系数时填写，如 0.01"))
        self.add_button.setText(_("添加计算项"))
        self.form.addRow(_("范围："), self.scope)
        self.form.addRow(_("计算项："), self.target)
        self.form.addRow(_("运算："), self.op)
        self.form.addRow(_("参与计算："), self.args)
        self.form.addRow(_("系数："), self.rate)
        self.form.addRow(self.problem, self.add_button)
        self.refresh()

    def describe(self, entry: dict[str, Any], names: dict[str, str]) -> str:
        """A computed figure in words."""
        return describe_computed(entry, names)

    def refresh_refs(self) -> None:
        """Targets are the scope's own figures (not column totals); arguments any reference."""
        options = self.options()
        self.target.clear()
        for ref, label in options:
            if "." not in ref:
                self.target.addItem(label, ref)
        self.args.set_refs(options)

    def add(self) -> None:
        """Add the computed figure the form describes."""
        args = [a for a in self.args.checked() if a != self.target.currentData()]
        if self.target.currentData() is None or not args:
            self.problem.setText(_("请选择计算项和参与计算的项目"))
            return
        comp: dict[str, Any] = {"target": self.target.currentData(), "op": self.op.currentData(), "args": args}
        if self.scope.currentData():
            comp["table"] = self.scope.currentData()
        if comp["op"] == "times":
            comp["rate"] = self.rate.text().strip() or "1"
        self.problem.clear()
        self.entries().append(comp)
        self.refresh()

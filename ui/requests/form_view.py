"""A form rendered from a service item's schema: one editor per field type, computed fields,
fields shown only when their condition holds, and validation as you type (pure checks, no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from oa_client.domain.forms import FieldSpec, FormSchema, compute, validate
from oa_client.domain.forms_coerce import coerce
from oa_client.domain.forms_values import Problem, is_empty, localized
from oa_client.i18n import _
from oa_client.services.requests import workdays_between
from ui.qt import (
    QCheckBox,
    QComboBox,
    QDate,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTime,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
    Signal,
)

EMPTY_DATE = QDate(1900, 1, 1)
#: prefilled facts shown but not editable (the applicant's name, leave entitlement, hire date)
LOCKED_FACTS = ("name", "annual_leave_balance", "annual_leave_total", "hire_date")
YES, NO = "是", "否"
_YES_NO_IDS = (_("是"), _("否"))


class _DateBox(QDateEdit):
    """A date picker that can also be empty (shown blank)."""

    def __init__(self) -> None:
        super().__init__()
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(EMPTY_DATE)
        self.setSpecialValueText(" ")
        self.setDate(EMPTY_DATE)

    def text_value(self) -> str:
        """ISO date, or '' when empty."""
        return "" if self.date() == EMPTY_DATE else self.date().toString("yyyy-MM-dd")

    def set_text_value(self, value: Any) -> None:
        """Show an ISO date (anything else empties it)."""
        day = QDate.fromString(str(value or "")[:10], "yyyy-MM-dd")
        if not day.isValid() and str(value or "").strip():
            day = QDate.currentDate()  # an open picker starts at today
        self.setDate(day if day.isValid() else EMPTY_DATE)


class FieldEditor(QWidget):
    """The editor of one field: `value()` gives the raw JSON value the schema checks."""

    changed = Signal()

    def __init__(self, spec: FieldSpec, *, people: list[dict], units: list[str],
                 attach: Callable[[FieldEditor], None] | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.people = people
        self._attach = attach
        self.files: list[dict] = []
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        kind = spec.type
        self.widgets: list[QWidget] = []
        if spec.compute is not None:
            self.box = QLineEdit()
            self.box.setReadOnly(True)
            self.box.setPlaceholderText(_("自动计算"))
            self._add(row, self.box)
        elif kind == "multiline":
            self.box = QPlainTextEdit()
            self.box.setFixedHeight(70)
            self.box.textChanged.connect(self.changed)
            self._add(row, self.box)
        elif kind in ("text", "integer", "decimal", "money"):
            self.box = QLineEdit()
            if kind != "text":
                self.box.setPlaceholderText({"integer": _("整数"), "decimal": _("数字"),
                                             "money": _("金额，如 1200.00")}[kind])
            self.box.textChanged.connect(self.changed)
            self._add(row, self.box)
        elif kind == "date":
            self.box = _DateBox()
            self.box.dateChanged.connect(self.changed)
            self._add(row, self.box)
        elif kind == "datetime":
            self.box = _DateBox()
            self.time = QTimeEdit()
            self.time.setDisplayFormat("HH:mm")
            self.time.setTime(QTime(9, 0))
            self.box.dateChanged.connect(self.changed)
            self.time.timeChanged.connect(self.changed)
            self._add(row, self.box)
            self._add(row, self.time)
        elif kind == "date_range":
            self.box = _DateBox()
            self.end = _DateBox()
            self.box.dateChanged.connect(self.changed)
            self.end.dateChanged.connect(self.changed)
            self._add(row, self.box)
            row.addWidget(QLabel(_("至")))
            self._add(row, self.end)
        elif kind in ("choice", "yes_no", "person", "unit"):
            self.box = QComboBox()
            self.box.addItem("", None)
            if kind == "choice":
                for opt in spec.options:
                    self.box.addItem(localized(opt.value, opt.en), opt.value)
            elif kind == "yes_no":
                self.box.addItem(_("是"), True)
                self.box.addItem(_("否"), False)
            elif kind == "person":
                for p in people:
                    label = p.get("name", "") + (f"（{p['department']}）" if p.get("department") else "")
                    self.box.addItem(label, {"id": p["id"], "name": p.get("name", "")})
            else:
                self.box.setEditable(True)
                for name in units:
                    self.box.addItem(name, name)
                self.box.editTextChanged.connect(self.changed)
            self.box.currentIndexChanged.connect(self.changed)
            self._add(row, self.box)
        elif kind == "multi_choice":
            self.box = None
            self.checks: list[QCheckBox] = []
            for opt in spec.options:
                check = QCheckBox(localized(opt.value, opt.en))
                check.setProperty("value", opt.value)
                check.toggled.connect(self.changed)
                self.checks.append(check)
                self._add(row, check)
        else:  # attachment
            self.box = QPushButton(_("添加附件…"))
            self.box.clicked.connect(lambda: self._attach and self._attach(self))
            self.file_label = QLabel(_("（未上传）"))
            self._add(row, self.box)
            row.addWidget(self.file_label, 1)
        if spec.unit:
            row.addWidget(QLabel(spec.unit))
        if kind not in ("attachment",):
            row.addStretch(0)

    def _add(self, row: QHBoxLayout, widget: QWidget) -> None:
        row.addWidget(widget, 1 if isinstance(widget, QLineEdit | QPlainTextEdit | QComboBox) else 0)
        self.widgets.append(widget)

    def focus_widget(self) -> QWidget:
        """What gets the keyboard focus for this field."""
        return self.widgets[0]

    def value(self) -> Any:
        """The raw value for the schema ('' / None / [] when empty)."""
        kind = self.spec.type
        if self.spec.compute is not None:
            return None
        if kind == "multiline":
            return self.box.toPlainText()
        if kind in ("text", "integer", "decimal", "money"):
            return self.box.text()
        if kind == "date":
            return self.box.text_value()
        if kind == "datetime":
            day = self.box.text_value()
            return f"{day} {self.time.time().toString('HH:mm')}" if day else ""
        if kind == "date_range":
            start, end = self.box.text_value(), self.end.text_value()
            return {"start": start, "end": end} if start or end else None
        if kind == "unit":
            return self.box.currentText().strip()
        if kind in ("choice", "yes_no", "person"):
            return self.box.currentData()
        if kind == "multi_choice":
            return [c.property("value") for c in self.checks if c.isChecked()]
        return list(self.files)

    def set_value(self, value: Any) -> None:
        """Show a stored raw value."""
        kind = self.spec.type
        if self.spec.compute is not None:
            self.box.setText("" if is_empty(value) else str(value))
            return
        if kind == "multiline":
            self.box.setPlainText(str(value or ""))
        elif kind in ("text", "integer", "decimal", "money"):
            self.box.setText("" if value is None else str(value))
        elif kind == "date":
            self.box.set_text_value(value)
        elif kind == "datetime":
            text = str(value or "")
            self.box.set_text_value(text[:10])
            if len(text) >= 16:
                self.time.setTime(QTime.fromString(text[11:16], "HH:mm"))
        elif kind == "date_range":
            value = value if isinstance(value, dict) else {}
            self.box.set_text_value(value.get("start"))
            self.end.set_text_value(value.get("end"))
        elif kind == "unit":
            self.box.setEditText(str(value or ""))
        elif kind in ("choice", "yes_no"):
            if kind == "yes_no" and isinstance(value, str):
                value = value == YES
            index = next((i for i in range(self.box.count()) if self.box.itemData(i) == value), 0)
            self.box.setCurrentIndex(index)
        elif kind == "person":
            wanted = value.get("id") if isinstance(value, dict) else None
            index = next((i for i in range(self.box.count())
                          if isinstance(self.box.itemData(i), dict) and self.box.itemData(i)["id"] == wanted), 0)
            if not index and isinstance(value, dict) and wanted:
                self.box.addItem(value.get("name", ""), value)
                index = self.box.count() - 1
            self.box.setCurrentIndex(index)
        elif kind == "multi_choice":
            chosen = set(value or [])
            for c in self.checks:
                c.setChecked(c.property("value") in chosen)
        else:
            self.files = [f for f in (value or []) if isinstance(f, dict | str)]
            names = [f.get("name", "") if isinstance(f, dict) else f[:8] for f in self.files]
            self.file_label.setText("、".join(names) if names else _("（未上传）"))
            self.changed.emit()


class FormView(QWidget):
    """The whole form: labelled editors, problems under each field as the user types."""

    changed = Signal()

    def __init__(self, schema: FormSchema, values: dict[str, Any] | None = None, *,
                 people: list[dict] | None = None, units: list[str] | None = None,
                 attach: Callable[[FieldEditor], None] | None = None, today: date | None = None,
                 read_only: bool = False) -> None:
        """`values` prefilled from facts the organisation holds (LOCKED_FACTS) cannot be typed over."""
        super().__init__()
        self.schema = schema
        self.today = today
        self.touched: set[str] = set()
        self.show_all = False
        self.editors: dict[str, FieldEditor] = {}
        self.errors: dict[str, QLabel] = {}
        self.rows: dict[str, tuple[QLabel, QWidget]] = {}
        outer = QVBoxLayout(self)
        self.layout_ = QFormLayout()
        outer.addLayout(self.layout_)
        for spec in schema.fields:
            editor = FieldEditor(spec, people=people or [], units=units or [], attach=attach)
            error = QLabel()
            error.setStyleSheet("color: #b00020")
            error.setWordWrap(True)
            error.hide()
            holder = QWidget()
            box = QVBoxLayout(holder)
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(editor)
            help_text = localized(spec.help, spec.help_en)
            if help_text:
                hint = QLabel(help_text)
                hint.setStyleSheet("color: #666")
                box.addWidget(hint)
            box.addWidget(error)
            mark = "<span style='color:#b00020'>*</span>" if spec.required else ""
            label = QLabel(f"{spec.title()}{mark}")
            label.setBuddy(editor.focus_widget())
            self.layout_.addRow(label, holder)
            self.editors[spec.key], self.errors[spec.key] = editor, error
            self.rows[spec.key] = (label, holder)
            editor.changed.connect(lambda key=spec.key: self._edited(key))
            if read_only:
                editor.setEnabled(False)
        self._loading = True
        for key, value in (values or {}).items():
            if key in self.editors:
                self.editors[key].set_value(value)
                if schema.field(key).prefill in LOCKED_FACTS and not is_empty(value):
                    self.editors[key].setEnabled(False)  # what the system knows is not asked again
        self._loading = False
        self.refresh()

    def _edited(self, key: str) -> None:
        if self._loading:
            return
        self.touched.add(key)
        self.refresh()
        self.changed.emit()

    def raw_values(self) -> dict[str, Any]:
        """What was entered (computed fields left out: the schema computes them)."""
        out = {}
        for key, editor in self.editors.items():
            value = editor.value()
            if not is_empty(value):
                out[key] = value
        return out

    def values(self) -> dict[str, Any]:
        """The entered values with the computed fields filled in."""
        return compute(self.schema, self.raw_values(), workdays_between=workdays_between)

    def problems(self) -> list[Problem]:
        """Every problem with the form now."""
        return validate(self.schema, self.raw_values(), today=self.today, workdays_between=workdays_between)

    def reveal_all(self) -> list[Problem]:
        """Show every problem (on a submit attempt) and focus the first one."""
        self.show_all = True
        problems = self.refresh()
        if problems and problems[0].field in self.editors:
            self.editors[problems[0].field].focus_widget().setFocus()
        return problems

    def refresh(self) -> list[Problem]:
        """Recompute, show/hide conditional fields, and show the problems the user should see."""
        raw = self.raw_values()
        full = compute(self.schema, raw, workdays_between=workdays_between)
        facts = {}
        for spec in self.schema.fields:
            if not is_empty(full.get(spec.key)):
                try:
                    facts[spec.key] = coerce(spec, full[spec.key])
                except ValueError:
                    facts[spec.key] = full[spec.key]
        for spec in self.schema.fields:
            visible = spec.show_when is None or spec.show_when.holds(facts)
            label, holder = self.rows[spec.key]
            label.setVisible(visible)
            holder.setVisible(visible)
            if spec.compute is not None:
                self.editors[spec.key].set_value(full.get(spec.key))
        problems = validate(self.schema, raw, today=self.today, workdays_between=workdays_between)
        shown: dict[str, list[str]] = {}
        for p in problems:
            related = {p.field, *p.related}
            if self.show_all or related & self.touched:
                shown.setdefault(p.field, []).append(p.message)
        changed = False
        for key, label in self.errors.items():
            text = "；".join(shown.get(key, []))
            if label.text() != text or label.isVisibleTo(self) != bool(text):
                label.setText(text)
                label.setVisible(bool(text))
                self.rows[key][1].updateGeometry()  # the row's height follows (the cached one is stale)
                changed = True
        if changed:
            self.layout_.invalidate()
        return problems

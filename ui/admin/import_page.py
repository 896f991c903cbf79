"""系统管理员 · 组织导入: choose a JSON or CSV org chart file, see what it would create and
skip, then apply it (all or nothing). The file carries no passwords and no roles."""

from __future__ import annotations

from pathlib import Path

from oa_client.errors import ValidationError
from oa_client.i18n import _
from sync import admin as api
from ui.admin.common import AdminPage, Table
from ui.qt import QFileDialog, QLabel, QLineEdit

HEADERS = ("类型", "操作", "名称", "说明")
_HEADER_IDS = (_("类型"), _("操作"), _("名称"), _("说明"))
KINDS = {"unit": "单位", "department": "科室", "user": "人员"}
_KIND_IDS = (_("单位"), _("科室"), _("人员"))
ACTIONS = {"create": "新建", "skip": "已存在，跳过"}
_ACTION_IDS = (_("新建"), _("已存在，跳过"))


def read_text(path: str) -> str:
    """The file's text (UTF-8, or GB18030 as Excel saves it)."""
    raw = Path(path).expanduser().read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("文件编码无法识别，请另存为 UTF-8"), field="file")


def summary(answer: dict) -> str:
    """将新建/已新建 … ; 跳过 …."""
    c, s = answer["created"], answer["skipped"]
    made = _("单位 {u} 个、科室 {d} 个、人员 {n} 人").format(
        u=c["unit"], d=c["department"], n=c["user"])
    skipped = sum(s.values())
    head = _("已导入：") if answer["applied"] else _("预览：将新建 ")
    return head + made + (_("；已存在而跳过 {n} 项").format(n=skipped) if skipped else "")


class OrgImportPage(AdminPage):
    """Preview, then apply, an org chart file."""

    title = "组织导入"

    def __init__(self, session) -> None:
        super().__init__(session)
        self.content: str | None = None
        self.path = QLineEdit()
        self.path.setPlaceholderText(_("组织架构文件（JSON 或 CSV）"))
        self.path.textChanged.connect(lambda _t: self._changed())
        self.tools.addWidget(self.path, 1)
        self.button(_("浏览…"), self.browse)
        self.preview_button = self.button(_("预览"), self.preview)
        self.apply_button = self.button(_("导入"), self.apply, enabled=False)
        note = QLabel(_("导入前先预览将要发生的变化；有任何一行出错则整个文件都不导入。"
                        "文件中不能包含密码和角色：人员导入后由系统管理员重置密码，角色由安全保密管理员分配。"))
        note.setWordWrap(True)
        note.setStyleSheet("color:#555")
        self.layout_.addWidget(note)
        self.table = Table(HEADERS)
        self.layout_.addWidget(self.table, 1)
        self.finish_layout()

    def browse(self) -> None:
        """Pick the file."""
        path, _filter = QFileDialog.getOpenFileName(self, _("选择组织架构文件"), "",
                                                    _("组织架构 (*.json *.csv)"))
        if path:
            self.path.setText(path)

    def _changed(self) -> None:
        self.content = None
        self.apply_button.setEnabled(False)

    def preview(self) -> None:
        """Read the file and ask the server what it would do."""
        path, transport = self.path.text().strip(), self.transport
        if not path:
            self.say(_("请先选择组织架构文件。"), error=True)
            return

        def op() -> tuple[str, dict]:
            text = read_text(path)
            return text, api.import_org(transport, text, apply=False)

        self.apply_button.setEnabled(False)
        self.call(op, self._previewed)

    def _previewed(self, answer: tuple[str, dict]) -> None:
        self.content, result = answer
        self._show(result)
        self.apply_button.setEnabled(any(c["action"] == "create" for c in result["changes"]))

    def _show(self, result: dict) -> None:
        self.table.fill(result["changes"], lambda c: (
            _(KINDS.get(c["kind"], c["kind"])), _(ACTIONS.get(c["action"], c["action"])),
            c["name"], c["detail"]))
        self.say(summary(result))

    def failed(self, exc: BaseException) -> None:
        """A refused file: its lines, nothing imported."""
        if isinstance(exc, OSError):
            self.say(_("无法读取文件：{path}").format(path=self.path.text().strip()), error=True)
            return
        self.table.fill([], lambda c: ())
        super().failed(exc)

    def apply(self) -> None:
        """Import what was previewed (after a confirmation)."""
        content, transport = self.content, self.transport
        if content is None:
            return
        self.confirm(_("导入组织架构"), _("按预览导入这个文件？"), lambda: self.call(
            lambda: api.import_org(transport, content, apply=True), self._applied))

    def _applied(self, result: dict) -> None:
        self.content = None
        self.apply_button.setEnabled(False)
        self._show(result)

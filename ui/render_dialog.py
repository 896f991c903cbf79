"""公文排版导出: turn a plain-text or DOCX 公文 into GB/T 9704 PDF and DOCX, saying which fonts
stood in for missing office fonts and which characters no font had."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from docs_exchange.docx_writer import render_docx
from docs_exchange.importer import import_file
from docs_exchange.pdf import render_pdf
from oa_client.i18n import _
from ui.ops import run_op
from ui.qt import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.report_area import ReportArea


@dataclass
class ExportResult:
    """What an export produced and what the secretary should know about it."""

    pdf_path: Path
    docx_path: Path
    pages: int
    title: str
    substitutions: list[tuple[str, str]] = field(default_factory=list)
    missing: str = ""
    warnings: list[str] = field(default_factory=list)


def export(source: Path, out_dir: Path, *, fmt: str | None) -> ExportResult:
    """Import `source`, write `<stem>.pdf` and `<stem>.docx` into `out_dir`."""
    imported = import_file(path=source)
    doc = imported.document
    result = render_pdf(doc, format=fmt)
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf_path = out_dir / f"{source.stem}.pdf"
    docx_path = out_dir / f"{source.stem}.docx"
    pdf_path.write_bytes(result.pdf)
    docx_path.write_bytes(render_docx(doc, format=fmt))
    return ExportResult(
        pdf_path=pdf_path, docx_path=docx_path, pages=result.page_count, title=doc.title,
        substitutions=[(s.wanted, s.used) for s in result.font_substitutions],
        missing="".join(sorted({m.char for m in result.missing_glyphs})),
        warnings=list(imported.warnings),
    )


class RenderDialog(QDialog):
    """Choose a source file, a format and a folder; export on a worker; report plainly."""

    exported = Signal(object)

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("公文排版导出"))
        self.setMinimumSize(640, 460)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        row = QHBoxLayout()
        self.source = QLineEdit()
        self.source.setPlaceholderText(_("纯文本（.txt）或 Word（.docx）公文"))
        pick = QPushButton(_("选择文件…"))
        pick.clicked.connect(self._pick)
        row.addWidget(self.source, 1)
        row.addWidget(pick)
        form.addRow(_("公文："), row)
        self.format = QComboBox()
        for label, value in ((_("文件格式（红头）"), None), (_("信函格式"), "信函"),
                             (_("命令（令）格式"), "命令"), (_("纪要格式"), "纪要")):
            self.format.addItem(label, value)
        form.addRow(_("版式："), self.format)
        self.out_dir = QLineEdit()
        self.out_dir.setPlaceholderText(_("导出到的文件夹（缺省为公文所在文件夹）"))
        form.addRow(_("导出到："), self.out_dir)
        layout.addLayout(form)
        self.run_button = QPushButton(_("导出 PDF 和 DOCX"))
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run_export)
        layout.addWidget(self.run_button)
        self.area = ReportArea(self, layout)
        self.status, self.report = self.area.verdict, self.area.report

    def _pick(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, _("选择公文"), "", _("公文（*.txt *.docx）"))
        if name:
            self.source.setText(name)

    def run_export(self) -> None:
        """Export in the background."""
        source = Path(self.source.text().strip())
        if not self.source.text().strip() or not source.is_file():
            self._problem(_("请先选择一个存在的公文文件。"))
            return
        out_dir = Path(self.out_dir.text().strip() or source.parent)
        fmt = self.format.currentData()
        self.run_button.setEnabled(False)
        self.area.say(_("正在排版…"), ok=None)
        run_op(self, lambda _c: export(source, out_dir, fmt=fmt), pool="net",
               success=self._done, failure=self._failed, label=_("正在排版…"))

    def _failed(self, exc: BaseException) -> None:
        from ui.errors import error_text

        self._problem(error_text(exc))

    def _problem(self, text: str) -> None:
        self.run_button.setEnabled(True)
        self.area.say(text, ok=False)

    def _done(self, result: ExportResult) -> None:
        self.run_button.setEnabled(True)
        self.area.say(_("已导出《{title}》，共 {n} 页。").format(title=result.title, n=result.pages),
                      ok=True)
        lines = [_("PDF：{path}").format(path=result.pdf_path),
                 _("DOCX：{path}").format(path=result.docx_path)]
        if result.substitutions:
            lines.append(_("本机缺少以下公文字体，已用替代字体排版（正式印发前请在装有公文字体的电脑上核对）："))
            lines += [_("  {wanted} → {used}").format(wanted=w, used=u)
                      for w, u in result.substitutions]
        if result.missing:
            lines.append(_("以下字符所有字体都没有，已用其他字体显示，请核对：{chars}").format(
                chars=result.missing))
        lines += result.warnings
        self.area.show_text("\n".join(lines))
        self.exported.emit(result)

"""打印 and 打印预览 of a 公文 through Qt's print dialogs: the sealed 正式文件 as it is, or the
draft laid out before 用印. The pages come ready from a worker (ui/documents/print_source.py);
painting only places them. When several copies are printed each copy is painted on its own,
its 份号 (6 digits) stamped on its first page where GB/T 9704 puts it — onto the printed
page, never into the sealed file."""

from __future__ import annotations

from collections.abc import Callable

from oa_client.i18n import _
from ui.app import cjk_family
from ui.documents.print_source import PrintPage, PrintSource, copy_number
from ui.qt import (
    QCheckBox,
    QColor,
    QFont,
    QFontDatabase,
    QFormLayout,
    QImage,
    QMarginsF,
    QObject,
    QPageLayout,
    QPageSize,
    QPainter,
    QPointF,
    QPrintDialog,
    QPrinter,
    QPrintPreviewDialog,
    QRectF,
    QSize,
    QSpinBox,
    QWidget,
    Signal,
)

#: 份号 in 3号黑体: the office font first, then open fonts with the same look
HEI_FAMILIES = ("SimHei", "黑体", "Heiti SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                "Noto Sans CJK SC", "Source Han Sans SC")


def _hei_family() -> str:
    families = set(QFontDatabase.families())
    return next((f for f in HEI_FAMILIES if f in families), None) or cjk_family() or ""


class CopyOptions(QWidget):
    """The print dialog's 份号 tab: stamp a 份号 on each copy, starting from which number."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("份号"))
        form = QFormLayout(self)
        self.stamp = QCheckBox(_("在每份首页左上角标注份号(&N)"))
        self.stamp.setChecked(True)
        self.first = QSpinBox()
        self.first.setRange(1, 999_999)
        self.first.setAccessibleName(_("起始份号"))
        form.addRow(self.stamp)
        form.addRow(_("起始份号(&F)："), self.first)
        self.stamp.toggled.connect(self.first.setEnabled)


class DocumentPrinter(QObject):
    """One window's printer: its settings (paper, copies, where) kept between prints."""

    printed = Signal(int)  # pages sent to the printer

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.window = parent
        self.printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        self.printer.setFullPage(True)
        self.printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        #: stamp a 份号 per copy: on by default for the 正式文件, off for a draft
        self.stamp_copy_no = {"official": True, "draft": False}
        self.first_copy_no = 1
        #: tests: called with the print dialog instead of exec() (returns True to print)
        self.confirm: Callable[[QPrintDialog], bool] | None = None

    # -- the dialogs ----------------------------------------------------------------------

    def print_source(self, source: PrintSource) -> bool:
        """The print dialog (copies, printer, 份号 tab); prints when it is accepted."""
        dialog = QPrintDialog(self.printer, self.window)
        dialog.setWindowTitle(_("打印《{title}》").format(title=source.title)
                              if source.kind == "official"
                              else _("打印排版稿《{title}》").format(title=source.title))
        options = CopyOptions()
        options.stamp.setChecked(self.stamp_copy_no[source.kind])
        options.first.setValue(self.first_copy_no)
        dialog.setOptionTabs([options])
        accepted = self.confirm(dialog) if self.confirm else dialog.exec()
        if not accepted:
            return False
        self.stamp_copy_no[source.kind] = options.stamp.isChecked()
        self.first_copy_no = options.first.value()
        pages = self.paint(self.printer, source)
        self.printed.emit(pages)
        return True

    def preview_source(self, source: PrintSource) -> QPrintPreviewDialog:
        """打印预览: pages drawn when the preview asks for them; its 打印 prints the same."""
        dialog = QPrintPreviewDialog(self.printer, self.window)
        dialog.setWindowTitle(_("打印预览《{title}》").format(title=source.title))
        dialog.paintRequested.connect(lambda printer: self.paint(printer, source))
        dialog.resize(QSize(900, 1000))
        return dialog

    # -- painting -------------------------------------------------------------------------

    def paint(self, printer: QPrinter, source: PrintSource) -> int:
        """Paint every copy onto `printer` (each copy its own pages, 份号 on its first page
        when asked for); the printer is told one copy. Returns the pages painted."""
        copies = max(1, printer.copyCount())
        stamp = self.stamp_copy_no[source.kind]
        printer.setCopyCount(1)
        first = source.pages[0]
        size = QPageSize(QPageSize.PageSizeId.A4)
        a4 = size.size(QPageSize.Unit.Point)
        if abs(a4.width() - first.page_w) > 2 or abs(a4.height() - first.page_h) > 2:
            size = QPageSize(QSize(round(first.page_w), round(first.page_h)),
                             QPageSize.Unit.Point, _("公文用纸"))
        printer.setFullPage(True)
        printer.setPageLayout(QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF()))
        painter = QPainter()
        painted = 0
        if not painter.begin(printer):
            printer.setCopyCount(copies)
            return 0
        try:
            searchable = printer.outputFormat() == QPrinter.OutputFormat.PdfFormat
            for copy in range(copies):
                for index, page in enumerate(source.pages):
                    if painted:
                        printer.newPage()
                    number = copy_number(self.first_copy_no, copy) if stamp and index == 0 else ""
                    self._draw(painter, page, source, number=number, searchable=searchable)
                    painted += 1
        finally:
            painter.end()
            printer.setCopyCount(copies)
        return painted

    def _draw(self, painter: QPainter, page: PrintPage, source: PrintSource, *, number: str,
              searchable: bool) -> None:
        view = QRectF(painter.viewport())
        sx, sy = view.width() / page.page_w, view.height() / page.page_h
        image = QImage(page.rgb, page.width, page.height, page.width * 3,
                       QImage.Format.Format_RGB888)
        painter.drawImage(view, image)
        if searchable and page.texts:  # the page's text, invisible, under the image's
            font = QFont(cjk_family() or "")
            painter.setPen(QColor(0, 0, 0, 0))
            for left, _top, _right, bottom, text in page.texts:
                font.setPixelSize(max(1, round((bottom - _top) * sy * 0.9)))
                painter.setFont(font)
                painter.drawText(QPointF(left * sx, bottom * sy - (bottom - _top) * sy * 0.12),
                                 text)
        if number:
            x, y, pt = source.copy_no_at
            font = QFont(_hei_family())
            font.setPixelSize(max(1, round(pt * sy)))
            painter.setFont(font)
            painter.setPen(QColor(0, 0, 0))
            painter.drawText(QPointF(x * sx, y * sy), number)

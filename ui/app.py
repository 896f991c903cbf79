"""The QApplication: language (gettext + Qt's own catalog), fonts, organisation names."""

from __future__ import annotations

import sys

from docs_exchange.font_files import BUNDLED_FONTS_DIR
from oa_client import i18n
from ui.qt import QApplication, QFont, QFontDatabase, QIcon, QLibraryInfo, QLocale, QTranslator

APP_NAME = "政务协同办公客户端"
APP_ICON = BUNDLED_FONTS_DIR.parent / "icons" / "zhengwu-oa.svg"
CJK_FAMILIES = (
    "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "AR PL UMing CN", "SimSun",
)

_translators: list[QTranslator] = []


def install_language(app: QApplication, language: str | None) -> str:
    """Switch gettext and Qt's qtbase catalog to `language`; return the one in use."""
    lang = i18n.set_language(language)
    for t in _translators:
        app.removeTranslator(t)
    _translators.clear()
    qt = QTranslator(app)
    if qt.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        _translators.append(qt)
    QLocale.setDefault(QLocale(QLocale.Language.Chinese if lang == "zh_CN" else QLocale.Language.English))
    return lang


def add_bundled_fonts() -> list[str]:
    """Register the open CJK fonts an installed client ships (none in a checkout): Chinese
    shows even on a machine without Chinese fonts. Returns the families added."""
    families: list[str] = []
    for path in sorted(BUNDLED_FONTS_DIR.glob("*.tt[cf]")):
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id >= 0:
            families += QFontDatabase.applicationFontFamilies(font_id)
    return families


def cjk_family() -> str | None:
    """The first installed font family that has Chinese glyphs, or None."""
    families = set(QFontDatabase.families())
    for name in CJK_FAMILIES:
        if name in families:
            return name
    for name in sorted(families):
        if QFontDatabase.WritingSystem.SimplifiedChinese in QFontDatabase.writingSystems(name):
            return name
    return None


BASE_POINT_SIZE = 10


def apply_font_scale(app: QApplication, percent: int) -> None:
    """Scale the application font (100–200 %); widgets follow without a restart."""
    font = app.font()
    font.setPointSizeF(BASE_POINT_SIZE * max(100, min(200, percent)) / 100)
    app.setFont(font)
    for widget in app.allWidgets():  # styled widgets keep their font unless told
        f = widget.font()
        f.setPointSizeF(font.pointSizeF())
        widget.setFont(f)


def make_app(argv: list[str] | None = None, *, language: str | None = None) -> QApplication:
    """Create (or reuse) the QApplication with a Chinese-capable font and translations."""
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("zhengwu-oa")
    app.setOrganizationName("zhengwu-oa")
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("zhengwu-oa")  # the .deb's desktop entry: the dock shows its icon
    app.setWindowIcon(QIcon(str(APP_ICON)))
    add_bundled_fonts()
    family = cjk_family()
    if family:
        font = QFont(family)
        font.setPointSize(BASE_POINT_SIZE)
        app.setFont(font)
    install_language(app, language)
    return app

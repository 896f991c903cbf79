"""Render the app icon (resources/icons/zhengwu-oa.svg) to the PNG sizes a desktop menu uses
and to the .ico Windows wants: python packaging/icons.py OUT_DIR (build tool, not the product)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SVG = Path(__file__).resolve().parent.parent / "resources" / "icons" / "zhengwu-oa.svg"
SIZES = (16, 32, 48, 64, 128, 256)


def render(out: Path) -> list[Path]:
    """Write zhengwu-oa-<N>.png for every size, zhengwu-oa.ico and a copy of the SVG."""
    _app = QGuiApplication.instance() or QGuiApplication(["icons"])
    out.mkdir(parents=True, exist_ok=True)
    renderer = QSvgRenderer(str(SVG))
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        path = out / f"zhengwu-oa-{size}.png"
        if not image.save(str(path)):
            raise SystemExit(f"cannot write {path}")
        written.append(path)
        if size == 256:
            image.save(str(out / "zhengwu-oa.ico"))  # Qt's ico plugin
    shutil.copy(SVG, out / SVG.name)
    return written


if __name__ == "__main__":
    render(Path(sys.argv[1]))

"""The only module that imports PySide6: every other ui module imports Qt from here."""

from __future__ import annotations

from PySide6.QtCore import (
    QCoreApplication,
    QLibraryInfo,
    QLocale,
    QObject,
    QRunnable,
    QSettings,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
    QTranslator,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QFont, QFontDatabase, QGuiApplication, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QStatusBar,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "QAction", "QApplication", "QCoreApplication", "QDialog", "QDialogButtonBox", "QFont",
    "QFontDatabase", "QFormLayout", "QFrame", "QGridLayout", "QGroupBox", "QGuiApplication",
    "QHBoxLayout", "QKeySequence", "QLabel", "QLibraryInfo", "QLineEdit", "QListWidget",
    "QListWidgetItem", "QLocale", "QMainWindow", "QMessageBox", "QObject", "QPixmap",
    "QProgressDialog", "QPushButton", "QRunnable", "QSettings", "QSize", "QSplitter",
    "QStatusBar", "QTextBrowser", "QThreadPool", "QTimer", "QTranslator", "QVBoxLayout",
    "QWidget", "Qt", "Signal", "Slot",
]

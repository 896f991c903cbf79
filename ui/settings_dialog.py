"""Settings: font scale, language, server address, proxy, quiet hours for tray messages; the
auto-lock and the watermark as the security policy sets them (read-only here)."""

from __future__ import annotations

from oa_client.i18n import _
from oa_client.services.policy import Policy
from ui.prefs import Prefs
from ui.qt import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTime,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)


class SettingsDialog(QDialog):
    """Edit the preferences; the caller applies them (most without restarting)."""

    def __init__(self, prefs: Prefs, policy: Policy | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("设置"))
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.font_scale = QSpinBox()
        self.font_scale.setRange(100, 200)
        self.font_scale.setSingleStep(10)
        self.font_scale.setSuffix(" %")
        self.font_scale.setValue(prefs.font_scale)
        form.addRow(_("字体大小："), self.font_scale)
        self.language = QComboBox()
        self.language.addItem("简体中文", "zh_CN")
        self.language.addItem("English", "en")
        self.language.setCurrentIndex(1 if prefs.language == "en" else 0)
        form.addRow(_("界面语言："), self.language)
        self.server = QLineEdit(prefs.server_url)
        self.server.setPlaceholderText("https://oa.example.gov.cn")
        form.addRow(_("服务器地址："), self.server)
        self.proxy = QLineEdit(prefs.proxy)
        self.proxy.setPlaceholderText("http://proxy.example.gov.cn:8080")
        form.addRow(_("代理服务器："), self.proxy)
        policy = policy or Policy()
        self.idle = QSpinBox()
        self.idle.setRange(1, 240)
        self.idle.setSuffix(_(" 分钟"))
        self.idle.setValue(policy.idle_lock_minutes)
        self.idle.setEnabled(False)
        form.addRow(_("无操作自动锁定："), self.idle)
        self.watermark = QCheckBox(_("在公文和详情上显示姓名、单位、日期水印"))
        self.watermark.setChecked(policy.watermark)
        self.watermark.setEnabled(False)
        form.addRow(_("水印："), self.watermark)
        self.policy_note = QLabel(_("自动锁定和水印由安全保密管理员的安全策略统一设定，不能在本机修改。"))
        self.policy_note.setWordWrap(True)
        self.policy_note.setStyleSheet("color:#8b0000")
        form.addRow("", self.policy_note)
        self.quiet = QCheckBox(_("免打扰时段"))
        self.quiet.setChecked(prefs.quiet)
        self.quiet_from = QTimeEdit(QTime.fromString(prefs.quiet_from, "HH:mm"))
        self.quiet_to = QTimeEdit(QTime.fromString(prefs.quiet_to, "HH:mm"))
        row = QHBoxLayout()
        row.addWidget(self.quiet)
        for label, edit in ((_("从"), self.quiet_from), (_("到"), self.quiet_to)):
            edit.setDisplayFormat("HH:mm")
            edit.setEnabled(prefs.quiet)
            self.quiet.toggled.connect(edit.setEnabled)
            row.addWidget(QLabel(label))
            row.addWidget(edit)
        row.addStretch(1)
        form.addRow(_("消息提醒："), row)
        layout.addLayout(form)
        note = QLabel(_("字体、语言、代理和免打扰立即生效；服务器地址在下次登录时使用。"
                        "免打扰时段内新待办和提醒照常列入待办，只是不在托盘弹出消息。"))
        note.setWordWrap(True)
        note.setStyleSheet("color:#666")
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("确定"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def prefs(self) -> Prefs:
        """The edited preferences."""
        return Prefs(font_scale=self.font_scale.value(), language=self.language.currentData(),
                     server_url=self.server.text().strip(), proxy=self.proxy.text().strip(),
                     quiet=self.quiet.isChecked(),
                     quiet_from=self.quiet_from.time().toString("HH:mm"),
                     quiet_to=self.quiet_to.time().toString("HH:mm"))

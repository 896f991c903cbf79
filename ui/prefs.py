"""User preferences in QSettings: font scale, language, server, proxy. (The idle lock and the
watermark are the security policy's, set by the security administrator: oa_client.services.policy.)"""

from __future__ import annotations

from dataclasses import dataclass

from oa_client.site_config import load_site_config
from ui.qt import QSettings


@dataclass
class Prefs:
    """What the settings dialog edits."""

    font_scale: int = 100
    language: str = "zh_CN"
    server_url: str = ""
    proxy: str = ""

    @classmethod
    def load(cls) -> Prefs:
        """Read the saved preferences."""
        s = QSettings()
        d = cls()

        def get(key: str, default, kind):
            value = s.value(f"prefs/{key}", default)
            if kind is bool:
                return value in (True, "true", "1", 1)
            try:
                return kind(value)
            except (TypeError, ValueError):
                return default

        return cls(font_scale=min(200, max(100, get("font_scale", d.font_scale, int))),
                   language=get("language", d.language, str),
                   # the unit's address from the installer when the user set none
                   server_url=get("server_url", d.server_url, str)
                   or load_site_config().server_url,
                   proxy=get("proxy", d.proxy, str))

    def save(self) -> None:
        """Write the preferences."""
        s = QSettings()
        for key, value in self.__dict__.items():
            s.setValue(f"prefs/{key}", value)

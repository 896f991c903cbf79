"""User preferences in QSettings: font scale, language, server, proxy, quiet hours for tray
messages. (The idle lock and the watermark are the security policy's, set by the security
administrator: oa_client.services.policy.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from oa_client.site_config import load_site_config
from ui.qt import QSettings


@dataclass
class Prefs:
    """What the settings dialog edits."""

    font_scale: int = 100
    language: str = "zh_CN"
    server_url: str = ""
    proxy: str = ""
    quiet: bool = False  # no tray messages between quiet_from and quiet_to
    quiet_from: str = "22:00"
    quiet_to: str = "07:30"

    def is_quiet(self, now: time) -> bool:
        """Whether `now` (wall clock) falls in the quiet hours (which may span midnight)."""
        if not self.quiet:
            return False
        start, end = _hhmm(self.quiet_from), _hhmm(self.quiet_to)
        if start == end:
            return False
        return start <= now < end if start < end else (now >= start or now < end)

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
                   proxy=get("proxy", d.proxy, str),
                   quiet=get("quiet", d.quiet, bool),
                   quiet_from=_valid(get("quiet_from", d.quiet_from, str), d.quiet_from),
                   quiet_to=_valid(get("quiet_to", d.quiet_to, str), d.quiet_to))

    def save(self) -> None:
        """Write the preferences."""
        s = QSettings()
        for key, value in self.__dict__.items():
            s.setValue(f"prefs/{key}", value)


def _hhmm(text: str) -> time:
    """A wall-clock time from "HH:MM"."""
    hours, _sep, minutes = text.partition(":")
    return time(int(hours), int(minutes))


def _valid(text: str, default: str) -> str:
    """`text` when it is an "HH:MM" time, else `default`."""
    try:
        _hhmm(text)
    except ValueError:
        return default
    return text

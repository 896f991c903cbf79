"""Words the meeting screens share (weekday names, answers), in the current language."""

from __future__ import annotations

from datetime import datetime

from oa_client.domain.meetings import TZ
from oa_client.i18n import _


def weekday_name(index: int) -> str:
    """周一 … 周日 for 0 … 6."""
    return (_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日"))[index]


def when(start: datetime, end: datetime) -> str:
    """11月23日 周一 10:00–11:00 (Beijing time)."""
    s, e = start.astimezone(TZ), end.astimezone(TZ)
    return _("{m}月{d}日 {w} {s}–{e}").format(m=s.month, d=s.day, w=weekday_name(s.weekday()),
                                             s=f"{s:%H:%M}", e=f"{e:%H:%M}")

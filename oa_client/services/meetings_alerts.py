"""Meeting alerts on the desk: a cancellation or a change of time or place (a sitting moved or
cancelled too) is a to-do for every attendee, saying what changed, until they acknowledge it.

Derived from the synced meeting record: the server logs every change in `changes` (kind,
summary, sequence, who); an alert is any such change of the kinds below, made by someone else,
newer than what this user acknowledged on this desk (kept in the profile's `meta`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from oa_client.i18n import _

if TYPE_CHECKING:
    from oa_client.store.local import LocalStore

#: change kinds an attendee is alerted to (the server's `changes` log, oa_server.authority.meetings)
ALERT_KINDS = frozenset({"cancelled", "time", "place", "occurrence_cancelled", "occurrence_moved"})
_KEY = "meeting_ack:{user}:{meeting}"


@dataclass(frozen=True)
class MeetingAlert:
    """What changed in a meeting I attend: cancelled or changed, the lines saying how."""

    meeting_id: str
    title: str
    cancelled: bool
    lines: tuple[str, ...]
    sequence: int  # the newest change's; acknowledging it clears the alert

    @property
    def heading(self) -> str:
        """会议已取消 / 会议已变更, in the current language."""
        return _("会议已取消") if self.cancelled else _("会议已变更")

    @property
    def text(self) -> str:
        """One line for the to-do list: heading, title and what changed."""
        if not self.lines:
            return _("{heading}：{title}").format(heading=self.heading, title=self.title)
        return _("{heading}：{title}（{what}）").format(heading=self.heading, title=self.title,
                                                      what="；".join(self.lines))


def attends(rec: Mapping[str, Any], user_id: str, unit_id: str) -> bool:
    """Whether the user is expected at the meeting: invited, chairing, delegated, named by a
    unit, or of an invited unit that has not named its people yet."""
    if not user_id or str(rec.get("organiser_id") or "") == user_id:
        return False
    if user_id in (rec.get("audience_users") or []) or rec.get("chair_id") == user_id:
        return True
    named = (rec.get("rsvp_people") or {}).get(unit_id) if unit_id else None
    return bool(unit_id and unit_id in (rec.get("audience_units") or []) and not named)


def acknowledged(store: LocalStore, *, user_id: str, meeting_id: str) -> int:
    """The change sequence this user acknowledged for this meeting on this desk (0: none)."""
    rows = store.db.query("SELECT value FROM meta WHERE key = ?",
                          (_KEY.format(user=user_id, meeting=meeting_id),))
    try:
        return int(rows[0][0]) if rows else 0
    except ValueError:
        return 0


def alert_of(rec: Mapping[str, Any], *, user_id: str, unit_id: str, seen: int) -> MeetingAlert | None:
    """The alert a meeting record holds for this user past `seen`, or None."""
    if rec.get("deleted") or not attends(rec, user_id, unit_id):
        return None
    news = [c for c in rec.get("changes") or [] if isinstance(c, Mapping)
            and c.get("kind") in ALERT_KINDS and str(c.get("by") or "") != user_id
            and int(c.get("sequence") or 0) > seen]
    if not news:
        return None
    cancelled = rec.get("state") == "cancelled"
    lines = tuple(dict.fromkeys(str(c.get("summary") or "") for c in news  # the heading says 已取消
                                if c.get("summary") and c.get("kind") != "cancelled"))
    reason = str(rec.get("cancel_reason") or "").strip()
    if cancelled and reason:
        lines += (_("原因：{reason}").format(reason=reason),)
    return MeetingAlert(str(rec["id"]), str(rec.get("title") or ""), cancelled, lines,
                        max(int(c.get("sequence") or 0) for c in news))


def alert_for(store: LocalStore, rec: Mapping[str, Any], *, user_id: str, unit_id: str
              ) -> MeetingAlert | None:
    """The unacknowledged alert of one meeting record for this user, or None."""
    seen = acknowledged(store, user_id=user_id, meeting_id=str(rec.get("id") or ""))
    return alert_of(rec, user_id=user_id, unit_id=unit_id, seen=seen)


def acknowledge(store: LocalStore, *, user_id: str, meeting_id: str, sequence: int) -> None:
    """The user has read the alert up to `sequence` (知道了): it leaves the to-do list."""
    key = _KEY.format(user=user_id, meeting=meeting_id)
    with store.db.transaction() as conn:
        conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET"
                     " value = excluded.value WHERE CAST(meta.value AS INTEGER) < CAST(excluded.value AS INTEGER)",
                     (key, str(int(sequence))))

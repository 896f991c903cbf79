"""Screenshots of the meeting screens (`python -m ui.screenshots`): week, month, a room's
bookings, find-a-time, the notice form, replies, the QR code, minutes, rooms."""

from __future__ import annotations

from datetime import datetime, timedelta

from oa_client.domain.meetings import TZ


def _first_upcoming(page, wait) -> None:
    """Move the calendar to the week of the next meeting on this desk."""
    store = page.session.store
    rows = store.db.query("SELECT starts_at FROM meetings WHERE deleted = 0 AND state != 'cancelled'"
                          " AND starts_at >= ? ORDER BY starts_at LIMIT 1",
                          (datetime.now(TZ).strftime("%Y-%m-%d"),))
    if rows:
        page.day = datetime.fromisoformat(rows[0][0].replace("Z", "+00:00")).astimezone(TZ).date()
    page.reload()
    wait(lambda: bool(page.calendar.sittings) or page.calendar.day == page.day)


def drive(page, shot, window, wait) -> None:
    """Walk the screens and shoot each one."""
    page.tabs.setCurrentIndex(0)
    _first_upcoming(page, wait)
    wait(lambda: bool(page.calendar.sittings))
    page.calendar.select(page.calendar.sittings[0])
    wait(lambda: page.current is not None)
    shot(window, "05-meetings-week")
    page.view_box.setCurrentIndex(2)
    wait(lambda: page.calendar.view == "month" and bool(page.calendar.sittings))
    shot(window, "05b-meetings-month")
    page.view_box.setCurrentIndex(1)
    if page.source.count() > 1:
        page.source.setCurrentIndex(1)
        wait(lambda: page.calendar.view == "week" and page.room_id is not None)
        shot(window, "05c-meetings-room-bookings")
        page.source.setCurrentIndex(0)
    page.tabs.setCurrentIndex(1)
    ft = page.findtime
    wait(lambda: ft.people.count() > 0)
    wanted = {page.session.user_id, page.current.get("organiser_id") if page.current else ""}
    ids = [ft.people.item(i).data(0x0100) for i in range(ft.people.count())]
    ft.choose([i for i in ids if i in wanted] + ids[:3])
    ft.first.setDate(page.day - timedelta(days=page.day.weekday()))
    ft.run()
    wait(lambda: ft.result is not None)
    shot(window, "05d-meetings-find-a-time")
    ft._book(ft.slots.currentItem())
    wait(lambda: page.booking_dialog is not None)
    dialog = page.booking_dialog
    dialog.subject.setText("数字政府建设专题协调会")
    dialog.resize(820, 760)
    shot(dialog, "05e-meetings-notice-form")
    dialog.close()
    page.tabs.setCurrentIndex(2)
    if page.current is not None:
        page.replies.show_meeting(page.session, page.current["id"])
        wait(lambda: bool(page.replies.rows))
    shot(window, "05f-meetings-replies")
    if page.current is not None and page.session.transport is not None:
        try:
            from oa_client.services import meetings as mtg
            from ui.meetings.replies_view import QrDialog

            info = mtg.fetch_checkin_code(page.session.transport, meeting_id=page.current["id"])
            qr = QrDialog(page.current.get("title", ""), info, window)
            qr.show()
            shot(qr, "05g-meetings-sign-in-qr")
            qr.close()
        except Exception:  # noqa: S110 (not the organiser: the QR code is the organiser's)
            pass
    if page.current is not None:
        page.write_minutes(page.current["id"])
        wait(lambda: page.minutes_dialog is not None)
        md = page.minutes_dialog
        wait(lambda: bool(md.title.text()) and md.pages_layout.count() > 0, 60)
        md.decisions.addItem("各单位于本月底前报送汛期值班安排")
        shot(md, "05h-meetings-minutes")
        md.close()
    page.tabs.setCurrentIndex(3)
    wait(lambda: page.rooms_view.table.rowCount() > 0)
    page.rooms_view.table.selectRow(0)
    shot(window, "05i-meetings-rooms")
    page.tabs.setCurrentIndex(0)

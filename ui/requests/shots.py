"""Screens of the requests module for `python -m ui.screenshots` (and the UI test's walk)."""

from __future__ import annotations

from collections.abc import Callable

from ui.qt import Qt


def drive(page, shot: Callable, window, wait: Callable) -> None:
    """Catalogue, a form with a problem shown as typed, my requests with a timeline, an approver's
    view, the statistics."""
    page.tabs.setCurrentIndex(0)
    wait(lambda: page.loaded and page.item_list.count() > 0)
    page.search.setText("假")
    shot(window, "06-requests-catalogue")
    page.search.clear()
    wanted = next(e.record_id for e in page.entries if e.item.code == "TRAVEL_EXPENSE")
    for i in range(page.item_list.count()):
        if page.item_list.item(i).data(Qt.ItemDataRole.UserRole) == wanted:
            page.item_list.setCurrentRow(i)
    page.apply()
    wait(lambda: page.dialog is not None)
    dialog = page.dialog
    form = dialog.form
    form.editors["transport_fee"].box.setText("1326.00")
    form.editors["lodging_fee"].box.setText("5380")
    form.editors["phone"].box.setText("2222001")
    form.editors["phone"].box.setText("0663-22")  # a problem shows while typing
    form.editors["start_date"].set_value("2026-11-03")
    form.editors["end_date"].set_value("2026-11-06")
    shot(dialog, "06b-request-form")
    dialog.reject()
    page.tabs.setCurrentIndex(1)
    wait(lambda: page.mine_list.count() > 0 or not page.mine)
    if page.mine:
        page.mine_list.setCurrentRow(0)
        wait(lambda: str(page.mine[0].get("number") or page.mine[0].get("title")) in page.mine_detail.toPlainText())
    shot(window, "06c-requests-mine")
    page.tabs.setCurrentIndex(2)
    if page.todo:
        page.todo_list.setCurrentRow(0)
        wait(lambda: str(page.todo[0].get("title")) in page.todo_detail.toPlainText())
    shot(window, "06d-requests-approve")
    page.tabs.setCurrentIndex(page.tabs.indexOf(page.stats_table.parentWidget()))
    shot(window, "06e-requests-stats")
    page.tabs.setCurrentIndex(0)

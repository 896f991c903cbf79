"""ReloadOnShow: a hidden screen reloads when next shown, a shown one at once, none without a session."""

from __future__ import annotations

from ui.qt import QWidget
from ui.reload_on_show import ReloadOnShow


class Page(ReloadOnShow, QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.session = None
        self.calls: list[str] = []

    def reload(self, how: str = "plain") -> None:
        if self.session is None:
            return
        self.dirty = False
        self.calls.append(how)

    def reload_on_show(self) -> None:
        self.reload("shown")


def test_reload_now_when_shown_else_when_next_shown(qtbot):
    page = Page()
    qtbot.addWidget(page)
    assert page.dirty is False
    page.refresh()  # no session: stays dirty, nothing read
    page.show()
    qtbot.waitExposed(page)
    assert page.calls == [] and page.dirty
    page.hide()
    page.session = object()
    page.mark_dirty(page.reload)  # hidden: waits for the show
    assert page.calls == []
    page.show()
    qtbot.waitExposed(page)
    assert page.calls == ["shown"] and not page.dirty
    page.refresh()  # shown: at once, by the hook
    page.mark_dirty(lambda: page.reload("now"))
    assert page.calls == ["shown", "shown", "now"]
    page.hide()
    page.show()  # clean: no reload
    assert page.calls == ["shown", "shown", "now"]

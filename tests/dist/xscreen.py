"""The virtual screen the installed client shows on: its windows (by WM_CLASS, titles read
back as UTF-8), typing into them, closing one as a window manager would, screenshots.

There is no window manager on the Xvfb screen: focus is given with XSetInputFocus
(`xdotool windowfocus`) and a window is closed by sending it WM_DELETE_WINDOW, the message a
desktop's close button sends (the client then quits the way it does for a user)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Window:
    """A visible top-level window: X id, title, place and size."""

    wid: int
    title: str
    x: int
    y: int
    width: int
    height: int


def _xdotool(display: str, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["xdotool", *args], capture_output=True, text=True, check=False,
                          env={**os.environ, "DISPLAY": display})
    if check and proc.returncode != 0:
        raise AssertionError(f"xdotool {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def windows(display: str, wm_class: str) -> list[Window]:
    """The visible windows of class `wm_class` (Qt's application name)."""
    out = []
    for wid in _xdotool(display, "search", "--onlyvisible", "--class", wm_class,
                        check=False).split():
        title = _xdotool(display, "getwindowname", wid, check=False).strip()
        geometry = dict(line.split("=", 1) for line in
                        _xdotool(display, "getwindowgeometry", "--shell", wid, check=False).split())
        if "WIDTH" in geometry:
            out.append(Window(int(wid), title, int(geometry["X"]), int(geometry["Y"]),
                              int(geometry["WIDTH"]), int(geometry["HEIGHT"])))
    return out


def wait_window(display: str, wm_class: str, title: str, *, timeout: float,
                alive=lambda: True, evidence: Path | None = None) -> Window:
    """The first visible window of `wm_class` whose title is `title`; fails after `timeout`
    seconds or as soon as `alive()` says the program has ended (leaving a screenshot of what
    was on the screen at `evidence`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for window in windows(display, wm_class):
            if window.title == title:
                return window
        if not alive():
            break
        time.sleep(0.2)
    seen = [(w.title, w.width, w.height) for w in windows(display, wm_class)]
    if evidence is not None:
        screenshot(display, evidence, blank_ok=True)
    why = "the program ended" if not alive() else f"{timeout:.0f} s passed"
    raise AssertionError(f"no window {title!r} on {display}: {why}; visible: {seen}; "
                         f"the screen: {evidence}")


def type_into(display: str, window: Window, *keys: str) -> None:
    """Give `window` the keyboard and type: plain strings are typed, '<Tab>'-style names are
    pressed as keys."""
    _xdotool(display, "windowfocus", "--sync", str(window.wid))
    for item in keys:
        if item.startswith("<") and item.endswith(">"):
            _xdotool(display, "key", "--window", str(window.wid), item[1:-1])
        else:
            _xdotool(display, "type", "--delay", "40", item)


def press(display: str, window: Window, keys: str) -> None:
    """Press a key combination (xdotool's names, e.g. ctrl+2) in `window`."""
    _xdotool(display, "windowfocus", "--sync", str(window.wid))
    _xdotool(display, "key", "--window", str(window.wid), keys)


class _ClientMessage(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong),
                ("message_type", ctypes.c_ulong), ("format", ctypes.c_int),
                ("data", ctypes.c_long * 5)]


class _Event(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


def close_window(display: str, window: Window) -> None:
    """Send WM_DELETE_WINDOW to `window`, as a desktop's close button does."""
    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                               ctypes.POINTER(_Event)]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x11.XOpenDisplay(display.encode())
    assert dpy, f"cannot open display {display}"
    try:
        event = _Event()
        event.xclient.type = 33  # ClientMessage
        event.xclient.window = window.wid
        event.xclient.message_type = x11.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
        event.xclient.format = 32
        event.xclient.data[0] = x11.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
        event.xclient.data[1] = 0  # CurrentTime
        assert x11.XSendEvent(dpy, window.wid, 0, 0, ctypes.byref(event))
        x11.XFlush(dpy)
    finally:
        x11.XCloseDisplay(dpy)


def screenshot(display: str, path: Path, *, window: Window | None = None,
               blank_ok: bool = False) -> Path:
    """A PNG of the screen (or of `window` only) at `path`; fails on a blank picture."""
    from PIL import ImageGrab

    path.parent.mkdir(parents=True, exist_ok=True)
    image = ImageGrab.grab(xdisplay=display)
    if window is not None:
        image = image.crop((window.x, window.y, window.x + window.width, window.y + window.height))
    image.save(path)
    colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert blank_ok or colours is None or len(colours) > 20, f"{path.name} is blank"
    return path

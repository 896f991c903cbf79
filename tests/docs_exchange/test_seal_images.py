"""Seal images: drawn from a unit's name (long and short), imported PNGs checked."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from docs_exchange.seal import SEAL_RED, draw_seal, import_seal_png, png_size
from oa_client.errors import ValidationError


def _image(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def _pixels(img: Image.Image) -> list[tuple[int, ...]]:
    raw = img.convert("RGBA").tobytes()
    return [tuple(raw[i : i + 4]) for i in range(0, len(raw), 4)]


def _ink(img: Image.Image) -> int:
    """Number of mostly opaque pixels."""
    return sum(1 for p in _pixels(img) if p[3] > 128)


def _red_share(img: Image.Image) -> float:
    """Share of opaque pixels that are seal red."""
    opaque = [p for p in _pixels(img) if p[3] > 200]
    red = [p for p in opaque if abs(p[0] - SEAL_RED[0]) < 30 and p[1] < 60 and p[2] < 60]
    return len(red) / max(1, len(opaque))


@pytest.mark.parametrize("name", ["普宁市政务服务数据管理局", "财政局"])
def test_drawn_seal_is_a_red_ring_on_transparent_ground(name: str) -> None:
    data = draw_seal(unit_name=name, bottom_text="公文专用章", size_px=240)
    img = _image(data)
    assert img.format == "PNG" and img.mode == "RGBA" and img.size == (240, 240)
    assert img.getpixel((0, 0))[3] == 0  # corner outside the ring: transparent
    assert img.getpixel((120, 120))[3] > 200  # the star's centre: ink
    assert img.getpixel((120, 4))[3] > 0  # the ring at the top
    assert _red_share(img) > 0.9


def test_long_name_runs_further_round_the_arc_than_a_short_one() -> None:
    def ink_in(name: str, box: tuple[int, int, int, int]) -> int:
        return _ink(_image(draw_seal(unit_name=name, size_px=240)).crop(box))

    top, lower_left = (95, 15, 145, 60), (22, 120, 75, 185)
    long_name, short_name = "普宁市政务服务数据管理局", "财政局"
    assert ink_in(long_name, top) > 300 and ink_in(short_name, top) > 300
    assert ink_in(long_name, lower_left) > 4 * ink_in(short_name, lower_left)


def test_bottom_text_is_drawn_under_the_star() -> None:
    def lower_ink(bottom: str | None) -> int:
        img = _image(draw_seal(unit_name="财政局", bottom_text=bottom, size_px=240))
        band = img.crop((70, 160, 170, 195))
        return _ink(band)

    assert lower_ink("专用章") > lower_ink(None) + 50


@pytest.mark.parametrize("name", ["", "   ", "很" * 30])
def test_bad_unit_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        draw_seal(unit_name=name)


def test_import_keeps_transparency() -> None:
    img = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    img.paste((230, 0, 18, 255), (50, 50, 150, 150))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    out = _image(import_seal_png(buf.getvalue()))
    assert out.mode == "RGBA"
    assert out.getpixel((10, 10))[3] == 0 and out.getpixel((100, 100)) == (230, 0, 18, 255)
    assert png_size(buf.getvalue()) == (200, 200)


def test_import_of_a_scan_can_whiten_to_transparent() -> None:
    img = Image.new("RGB", (100, 100), (255, 255, 255))
    img.paste((200, 0, 0), (40, 40, 60, 60))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    out = _image(import_seal_png(buf.getvalue(), white_to_transparent=True))
    assert out.getpixel((5, 5))[3] == 0 and out.getpixel((50, 50))[3] == 255


def test_import_refuses_a_non_png() -> None:
    img = Image.new("RGB", (100, 100), (255, 0, 0))
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    with pytest.raises(ValidationError, match="PNG 格式") as err:
        import_seal_png(buf.getvalue())
    assert err.value.field == "seal_png"
    with pytest.raises(ValidationError, match="PNG 格式"):
        import_seal_png(b"GIF89a....")


def test_import_refuses_a_broken_png() -> None:
    with pytest.raises(ValidationError, match="已损坏"):
        import_seal_png(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def test_import_refuses_a_huge_png_by_dimensions() -> None:
    # header claims 60000×60000 pixels: refused before any pixel is decoded
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 6, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"")) + _chunk(b"IEND", b"")
    with pytest.raises(ValidationError, match="尺寸不合适"):
        import_seal_png(data)


def test_import_refuses_a_huge_png_by_bytes() -> None:
    img = Image.effect_noise((300, 300), 100).convert("RGBA")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    with pytest.raises(ValidationError, match="太大"):
        import_seal_png(buf.getvalue(), max_bytes=50_000)


def test_import_refuses_a_tiny_png() -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (10, 10)).save(buf, format="PNG")
    with pytest.raises(ValidationError, match="尺寸不合适"):
        import_seal_png(buf.getvalue())

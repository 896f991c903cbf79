"""Seal images: a unit's seal imported from a PNG, or drawn from the unit's name.

A drawn seal is the usual round official seal: a red ring, a five-pointed star
in the middle, the unit's name along the upper arc (each character turned to
follow the arc) and optional text such as 公文专用章 under the star, on a
transparent background. Both paths return PNG bytes with an alpha channel.
"""

from __future__ import annotations

import io
import math
import struct
import unicodedata
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from docs_exchange.font_files import BUNDLED_FONTS_DIR, ZENHEI
from oa_client.errors import ValidationError
from oa_client.i18n import _

SEAL_RED = (230, 0, 18)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES = 4 * 1024 * 1024
MAX_PNG_SIDE = 4000
MIN_PNG_SIDE = 64
MAX_NAME_CHARS = 24
FONT_CANDIDATES = (
    BUNDLED_FONTS_DIR / ZENHEI,  # the copy an installed client ships (font_files)
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/ukai.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"),
    Path("C:/Windows/Fonts/simsun.ttc"),
    Path("/System/Library/Fonts/STHeiti Medium.ttc"),
)
_SUPERSAMPLE = 2


def import_seal_png(
    data: bytes,
    *,
    max_bytes: int = MAX_PNG_BYTES,
    max_side: int = MAX_PNG_SIDE,
    white_to_transparent: bool = False,
) -> bytes:
    """Check an uploaded seal image and return it as a clean RGBA PNG (transparency kept)."""
    image = load_seal_image(
        data, max_bytes=max_bytes, max_side=max_side, white_to_transparent=white_to_transparent
    )
    return _png_bytes(image)


def load_seal_image(
    data: bytes,
    *,
    max_bytes: int = MAX_PNG_BYTES,
    max_side: int = MAX_PNG_SIDE,
    white_to_transparent: bool = False,
) -> Image.Image:
    """Check a seal PNG (format, size, integrity) and return it decoded as an RGBA image."""
    if not data.startswith(PNG_MAGIC):
        raise ValidationError(_("印章图片必须是 PNG 格式，请重新选择文件"), field="seal_png")
    if len(data) > max_bytes:
        raise ValidationError(
            _("印章图片太大（{size} KB），请使用不超过 {limit} KB 的 PNG 图片").format(
                size=len(data) // 1024, limit=max_bytes // 1024
            ),
            field="seal_png",
        )
    if data[12:16] == b"IHDR":  # check the declared size before Pillow decodes anything
        _check_side(*struct.unpack(">II", data[16:24]), max_side=max_side)
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != "PNG":
                raise ValidationError(
                    _("印章图片必须是 PNG 格式，请重新选择文件"), field="seal_png"
                )
            _check_side(*img.size, max_side=max_side)
            img.load()
            has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
            rgba = img.convert("RGBA")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("印章图片已损坏或不是有效的 PNG 文件，请重新导出后再导入"), field="seal_png"
        ) from exc
    if white_to_transparent and not has_alpha:
        rgba = _white_to_alpha(rgba)
    return rgba


def _check_side(width: int, height: int, *, max_side: int) -> None:
    if max(width, height) > max_side or min(width, height) < MIN_PNG_SIDE:
        raise ValidationError(
            _("印章图片尺寸不合适（{w}×{h} 像素），边长应在 {low} 到 {high} 像素之间").format(
                w=width, h=height, low=MIN_PNG_SIDE, high=max_side
            ),
            field="seal_png",
        )


def _white_to_alpha(img: Image.Image) -> Image.Image:
    """Make a scanned seal's white paper transparent, keeping the ink."""
    r, g, b, _a = img.split()
    lightness = Image.merge("RGB", (r, g, b)).convert("L")
    alpha = lightness.point(lambda v: 0 if v > 235 else min(255, (255 - v) * 3))
    img.putalpha(alpha)
    return img


def _png_bytes(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=False)
    return out.getvalue()


@cache
def _font_path() -> Path:
    for path in FONT_CANDIDATES:
        if path.exists():
            return path
    raise ValidationError(
        _("本机没有可用的中文字体，无法绘制印章；请安装文泉驿正黑或导入印章图片"), field="font"
    )


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font_path()), size=size, index=0)


def _check_glyphs(text: str, font: ImageFont.FreeTypeFont) -> None:
    """Refuse characters the font lacks rather than drawing empty boxes."""
    missing_mask = font.getmask("\U0010fffd")
    blank = (missing_mask.size, bytes(missing_mask))
    for ch in text:
        if ch.isspace():
            continue
        mask = font.getmask(ch)
        if mask.getbbox() is None or (mask.size, bytes(mask)) == blank:
            raise ValidationError(
                _("字体中没有“{char}”这个字，无法绘制印章；请导入印章图片").format(char=ch),
                field="unit_name",
            )


def _glyph(
    ch: str, font: ImageFont.FreeTypeFont, color: tuple[int, int, int], squeeze: float
) -> Image.Image:
    """One bold character on its own transparent tile, narrowed like seal lettering."""
    stroke = max(1, round(font.size * 0.035))
    left, top, right, bottom = font.getbbox(ch, stroke_width=stroke)
    side = font.size + 2 * stroke + 4
    tile = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text(
        ((side - (right - left)) / 2 - left, (side - (bottom - top)) / 2 - top),
        ch,
        font=font,
        fill=(*color, 255),
        stroke_width=stroke,
        stroke_fill=(*color, 255),
    )
    if squeeze != 1.0:
        narrow = (max(1, round(tile.width * squeeze)), tile.height)
        tile = tile.resize(narrow, Image.Resampling.LANCZOS)
    return tile


def _star_points(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(54))
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + i * 36)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def draw_seal(
    *,
    unit_name: str,
    bottom_text: str | None = None,
    size_px: int = 600,
    color: tuple[int, int, int] = SEAL_RED,
) -> bytes:
    """Draw a round official seal for `unit_name` and return it as a transparent PNG."""
    name = unicodedata.normalize("NFC", (unit_name or "").strip())
    name = "".join(name.split())
    if not name:
        raise ValidationError(_("请填写单位名称，印章上的文字不能为空"), field="unit_name")
    if len(name) > MAX_NAME_CHARS:
        raise ValidationError(
            _("单位名称过长（{n} 个字），印章上最多排 {limit} 个字").format(
                n=len(name), limit=MAX_NAME_CHARS
            ),
            field="unit_name",
        )
    bottom = "".join((bottom_text or "").split())
    if len(bottom) > 8:
        raise ValidationError(_("印章下方文字最多 8 个字"), field="bottom_text")
    if not 120 <= size_px <= 2400:
        raise ValidationError(_("印章图片边长应在 120 到 2400 像素之间"), field="size_px")

    big = size_px * _SUPERSAMPLE
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    ink = (*color, 255)
    c = big / 2
    ring = big * 0.045
    outer = big / 2 - ring / 2 - big * 0.01
    edge = outer + ring / 2
    draw.ellipse((c - edge, c - edge, c + edge, c + edge), outline=ink, width=round(ring))
    draw.polygon(_star_points(c, c, big * 0.16), fill=ink)

    n = len(name)
    char_size = round(big * (0.17 if n <= 8 else 0.13 if n <= 12 else 0.105 if n <= 16 else 0.085))
    font = _font(char_size)
    _check_glyphs(name + bottom, font)
    text_radius = outer - ring / 2 - char_size * 0.6
    # about one character width of arc per character, never past 250°
    step = math.degrees(char_size * 1.0 / text_radius)
    span = min(250.0, step * (n - 1) * (1.25 if n <= 5 else 1.0))
    squeeze = 0.8 if n > 6 else 0.9
    for i, ch in enumerate(name):
        angle = -span / 2 + (span * i / (n - 1) if n > 1 else 0.0)
        tile = _glyph(ch, font, color, squeeze).rotate(
            -angle, resample=Image.Resampling.BICUBIC, expand=True
        )
        rad = math.radians(angle)
        x = c + text_radius * math.sin(rad)
        y = c - text_radius * math.cos(rad)
        img.alpha_composite(tile, (round(x - tile.width / 2), round(y - tile.height / 2)))

    if bottom:
        bottom_font = _font(round(big * 0.085))
        width = bottom_font.getlength(bottom)
        stroke = max(1, round(bottom_font.size * 0.03))
        draw.text(
            (c - width / 2, c + big * 0.21),
            bottom,
            font=bottom_font,
            fill=ink,
            stroke_width=stroke,
            stroke_fill=ink,
        )
    img = img.resize((size_px, size_px), Image.Resampling.LANCZOS)
    return _png_bytes(img)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height in pixels of a PNG (for placing a stamp)."""
    with Image.open(io.BytesIO(data)) as img:
        return img.size

#!/usr/bin/env python3
"""Writes the image fixtures of tests/data/test_image_codecs.cpp into tests/data/images/, with Pillow (Debian's
python3-pil, built on the same libjpeg-turbo, libpng and libwebp) as the independent reference: each input file is
made by Pillow, and each `*_expected.png` is what Pillow (or a formula stated below) says the input shows.

    python3 scripts/make_image_fixtures.py      # rewrites tests/data/images/ (committed; run only to change them)
"""
import io
import pathlib
import struct
import zlib

from PIL import Image, ImageOps

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "images"


def pattern(w, h):
    """An upright RGB picture no flip or turn maps onto itself: a gradient plus a marked top-left corner."""
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = (int(255 * x / (w - 1)), int(255 * y / (h - 1)), 60)
    for y in range(4):
        for x in range(6):
            px[x, y] = (250, 250, 250)
    return im


# The stored pixels for each EXIF orientation: the inverse of what a viewer applies (Pillow's exif_transpose).
STORE = {
    1: lambda im: im,
    2: lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    3: lambda im: im.transpose(Image.Transpose.ROTATE_180),
    4: lambda im: im.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
    5: lambda im: im.transpose(Image.Transpose.TRANSPOSE),
    6: lambda im: im.transpose(Image.Transpose.ROTATE_90),  # shown turned 90 degrees clockwise
    7: lambda im: im.transpose(Image.Transpose.TRANSVERSE),
    8: lambda im: im.transpose(Image.Transpose.ROTATE_270),
}


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def raw_png(width, height, bit_depth, colour_type, rows):
    """A PNG from raw scanlines (Pillow cannot write 16-bit RGB): filter byte 0 before each row."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    idat = zlib.compress(b"".join(b"\0" + r for r in rows))
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def composite_on_white(im):
    """out = (v a + 255 (255 - a)) / 255, rounded, in 8-bit sRGB values: what tint documents for alpha."""
    bands = im.split()
    alpha = bands[-1].load()
    out = []
    for band in bands[:-1]:
        b = band.copy()
        px = b.load()
        for y in range(im.height):
            for x in range(im.width):
                a = alpha[x, y]
                px[x, y] = (px[x, y] * a + 255 * (255 - a) + 127) // 255
        out.append(b)
    return Image.merge("L" if len(out) == 1 else "RGB", out)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    upright = pattern(24, 16)
    upright.save(OUT / "upright.png")

    for o, store in STORE.items():
        stored = store(upright)
        exif = Image.Exif()
        exif[0x0112] = o
        path = OUT / f"orientation_{o}.jpg"
        stored.save(path, quality=95, exif=exif.tobytes())
        ImageOps.exif_transpose(Image.open(path)).convert("RGB").save(OUT / f"orientation_{o}_expected.png")

    progressive = OUT / "progressive.jpg"
    upright.save(progressive, quality=90, progressive=True)
    Image.open(progressive).convert("RGB").save(OUT / "progressive_expected.png")

    grey = upright.convert("L")
    grey.save(OUT / "grey.jpg", quality=95)
    Image.open(OUT / "grey.jpg").save(OUT / "grey_jpg_expected.png")

    # CMYK: Pillow writes Adobe JPEGs (inks inverted, APP14 marker); its decoder gives the inks back un-inverted.
    cmyk = Image.new("CMYK", (16, 8))
    px = cmyk.load()
    for y in range(8):
        for x in range(16):
            px[x, y] = (x * 16, y * 32, 255 - x * 16, (x + y) * 8)
    cmyk.save(OUT / "cmyk.jpg", quality=100)
    decoded = Image.open(OUT / "cmyk.jpg")
    assert decoded.mode == "CMYK"
    rgb = Image.new("RGB", decoded.size)
    src, dst = decoded.load(), rgb.load()
    for y in range(decoded.height):
        for x in range(decoded.width):
            c, m, yy, k = src[x, y]
            dst[x, y] = tuple(((255 - v) * (255 - k) + 127) // 255 for v in (c, m, yy))  # R = (1 - C)(1 - K)
    rgb.save(OUT / "cmyk_expected.png")

    # 16-bit RGB and grey: v * 257 must read back as v.
    rows16 = [b"".join(struct.pack(">HHH", *(257 * c for c in upright.getpixel((x, y)))) for x in range(24))
              for y in range(16)]
    (OUT / "rgb16.png").write_bytes(raw_png(24, 16, 16, 2, rows16))
    grey_rows16 = [b"".join(struct.pack(">H", 257 * grey.getpixel((x, y))) for x in range(24)) for y in range(16)]
    (OUT / "grey16.png").write_bytes(raw_png(24, 16, 16, 0, grey_rows16))
    grey.save(OUT / "grey_expected.png")

    # Alpha, composited onto white; a palette PNG.
    rgba = upright.copy()
    rgba.putalpha(Image.linear_gradient("L").resize((24, 16)))
    rgba.save(OUT / "rgba.png")
    composite_on_white(rgba).save(OUT / "rgba_expected.png")
    la = grey.copy()
    la.putalpha(Image.linear_gradient("L").rotate(90).resize((24, 16)))
    la.save(OUT / "grey_alpha.png")
    composite_on_white(la).save(OUT / "grey_alpha_expected.png")
    palette = upright.quantize(colors=16)
    palette.save(OUT / "palette.png")
    palette.convert("RGB").save(OUT / "palette_expected.png")

    # WebP, lossless so that the expected pixels are the source's.
    upright.save(OUT / "lossless.webp", lossless=True)
    rgba.save(OUT / "alpha.webp", lossless=True)

    # Decompression bombs: headers declaring more pixels than any limit, with almost no data behind them.
    (OUT / "bomb.png").write_bytes(raw_png(1, 1, 8, 0, [b"\0"]).replace(
        png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)),
        png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0))))
    small = io.BytesIO()
    Image.new("L", (8, 8)).save(small, format="JPEG")
    jpeg = bytearray(small.getvalue())
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5:sof + 9] = struct.pack(">HH", 65500, 65500)  # height, width: the largest a JPEG can declare
    (OUT / "bomb.jpg").write_bytes(bytes(jpeg))


if __name__ == "__main__":
    main()

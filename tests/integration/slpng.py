"""Reading PNG files in tests, with zlib only.

    img = read_png(path)          # None if not (yet) a whole PNG
    img.width, img.height, img.channels
    img.pixel(x, y)               # (r, g, b); a grey PNG gives r = g = b
    img.pixels()                  # the raw sample bytes, rows packed

Enough of the format for what the stations write: 8-bit greyscale, RGB
and RGBA, not interlaced, every filter type.
"""

import struct
import zlib

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(raw, width, height, bpp):
    stride = width * bpp
    out = bytearray(stride * height)
    prev = bytearray(stride)
    pos = 0
    for y in range(height):
        ftype = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                up_left = prev[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + _paeth(left, prev[i], up_left)) & 0xFF
        elif ftype != 0:
            raise ValueError("bad PNG filter type %d" % ftype)
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return bytes(out)


class Png:
    def __init__(self, width, height, channels, data):
        self.width, self.height, self.channels = width, height, channels
        self._data = data

    def pixels(self):
        return self._data

    def pixel(self, x, y):
        i = (y * self.width + x) * self.channels
        px = self._data[i:i + self.channels]
        if self.channels <= 2:
            return (px[0], px[0], px[0])
        return tuple(px[:3])


def read_png(path):
    """The decoded PNG at path, or None if it is missing or incomplete."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except FileNotFoundError:
        return None
    if not blob.startswith(_SIGNATURE):
        return None
    pos, idat, header = 8, [], None
    while pos + 8 <= len(blob):
        length, kind = struct.unpack(">I4s", blob[pos:pos + 8])
        body = blob[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    else:
        return None
    width, height, depth, ctype, _, _, interlace = header
    if depth != 8 or interlace != 0 or ctype not in _CHANNELS:
        raise ValueError("unsupported PNG (depth %d, colour type %d)" %
                         (depth, ctype))
    channels = _CHANNELS[ctype]
    raw = zlib.decompress(b"".join(idat))
    return Png(width, height, channels,
               _unfilter(raw, width, height, channels))


def write_png(path, width, height, rgb_rows):
    """Writes 8-bit RGB rows (bytes of r, g, b per pixel) as a PNG, for a
    person to look at what a test saw."""
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + bytes(row) for row in rgb_rows)
    with open(path, "wb") as f:
        f.write(_SIGNATURE)
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                           0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))

"""``mx.recordio``: MXNet's RecordIO files (dmlc-core framing) and image record packing.

A record on disk is: the magic 0xced7230a (uint32, little-endian), a uint32 ``lrec`` whose top
3 bits are a continuation flag and low 29 bits a length, the payload, then zero padding to a
multiple of 4 bytes.  A payload that holds the magic at a 4-aligned offset is written as
several parts (flag 1 first, 2 middle, 3 last; 0 for a whole record) with that magic left out,
so a reader can resynchronise on magics; reading puts the magic back between parts.
"""
import numbers
import os
import struct
from collections import namedtuple

import numpy as np

from .base import MXNetError

_MAGIC = 0xCED7230A
_MAGIC_BYTES = struct.pack("<I", _MAGIC)
_LEN_MASK = (1 << 29) - 1


def _cv2(where):
    try:
        import cv2
    except ImportError:
        raise MXNetError(f"{where}: OpenCV is needed to encode and decode images; install the "
                         f"'image' extra (pip install -e '.[image]')") from None
    return cv2


def _frame(buf):
    """The bytes dmlc's RecordIOWriter writes for one record ``buf``."""
    n = len(buf)
    if n >= 1 << 29:
        raise MXNetError("MXRecordIO.write: RecordIO only accepts records of less than 2^29 bytes")
    parts, start = [], 0
    for i in range(0, n - n % 4, 4):
        if buf[i:i + 4] == _MAGIC_BYTES:
            parts.append(((1 if start == 0 else 2), buf[start:i]))
            start = i + 4
    parts.append(((3 if start else 0), buf[start:]))
    out = []
    for cflag, chunk in parts:
        out.append(_MAGIC_BYTES + struct.pack("<I", (cflag << 29) | len(chunk)) + chunk)
    out.append(b"\0" * (-n % 4))
    return b"".join(out)


def read_record(f, uri):
    """The next record of the binary file ``f`` (named ``uri`` in errors), or None at its end."""
    parts = []
    while True:
        head = f.read(8)
        if not head:
            if parts:
                raise MXNetError(f"MXRecordIO.read: '{uri}' ends inside a record")
            return None
        if len(head) != 8:
            raise MXNetError(f"MXRecordIO.read: invalid RecordIO file '{uri}' (truncated header)")
        magic, lrec = struct.unpack("<II", head)
        if magic != _MAGIC:
            raise MXNetError(f"MXRecordIO.read: invalid RecordIO file '{uri}' "
                             f"(bad magic number at byte {f.tell() - 8})")
        cflag, length = lrec >> 29, lrec & _LEN_MASK
        body = f.read((length + 3) & ~3)
        if len(body) < length:
            raise MXNetError(f"MXRecordIO.read: invalid RecordIO file '{uri}' (truncated record)")
        parts.append(body[:length])
        if cflag in (0, 3):
            return _MAGIC_BYTES.join(parts)


class MXRecordIO:
    """Sequential reader ('r') or writer ('w') of a RecordIO file, as MXNet's."""

    def __init__(self, uri, flag):
        if not isinstance(uri, (str, os.PathLike)):
            raise MXNetError(f"MXRecordIO: uri must be a file path, got {uri!r}")
        self.uri = os.fspath(uri)
        self.flag = flag
        self.is_open = False
        self._f = None
        self.open()

    def open(self):
        """Opens the file: 'w' truncates it, 'r' reads from its start."""
        if self.flag == "w":
            mode, self.writable = "wb", True
        elif self.flag == "r":
            mode, self.writable = "rb", False
        else:
            raise ValueError("Invalid flag %s" % self.flag)
        try:
            self._f = open(self.uri, mode)
        except OSError as exc:
            raise MXNetError(f"MXRecordIO: cannot open '{self.uri}': {exc.strerror}") from None
        self.is_open = True

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __getstate__(self):
        """Pickling (e.g. to worker processes) closes this object, as MXNet's; the copy
        reopens the file (a reader from its first record)."""
        is_open = self.is_open
        self.close()
        d = dict(self.__dict__)
        d["is_open"], d["_f"] = is_open, None
        return d

    def __setstate__(self, d):
        self.__dict__.update(d)
        self.is_open = False
        if d["is_open"]:
            self.open()

    def close(self):
        """Closes the file (a second close does nothing)."""
        if not getattr(self, "is_open", False):
            return
        self._f.close()
        self.is_open = False

    def reset(self):
        """Back to the first record; a writer truncates the file."""
        self.close()
        self.open()

    def _need(self, writable, what):
        if not self.is_open:
            raise MXNetError(f"MXRecordIO.{what}: the file '{self.uri}' is closed")
        if self.writable != writable:
            raise MXNetError(f"MXRecordIO.{what}: the file '{self.uri}' was opened with flag "
                             f"'{self.flag}'")

    def write(self, buf):
        """Appends ``buf`` (bytes) as one record."""
        self._need(True, "write")
        if isinstance(buf, str):
            buf = buf.encode()
        if not isinstance(buf, (bytes, bytearray, memoryview)):
            raise MXNetError(f"MXRecordIO.write: buf must be bytes, got {type(buf).__name__}")
        self._f.write(_frame(bytes(buf)))

    def read(self):
        """The next record as bytes, or None at the end of the file."""
        self._need(False, "read")
        return read_record(self._f, self.uri)

    def tell(self):
        """Byte offset of the next record."""
        if not self.is_open:
            raise MXNetError(f"MXRecordIO.tell: the file '{self.uri}' is closed")
        return self._f.tell()

    def _seek(self, pos):
        self._need(False, "seek")
        self._f.seek(pos)


class MXIndexedRecordIO(MXRecordIO):
    """RecordIO with a text index (``key\\toffset`` lines) for random access by key."""

    def __init__(self, idx_path, uri, flag, key_type=int):
        self.idx_path = os.fspath(idx_path)
        self.key_type = key_type
        self.fidx = None
        super().__init__(uri, flag)

    def open(self):
        super().open()
        self.idx = {}
        self.keys = []
        try:
            self.fidx = open(self.idx_path, self.flag)
        except OSError as exc:
            super().close()
            raise MXNetError(f"MXIndexedRecordIO: cannot open index '{self.idx_path}': "
                             f"{exc.strerror}") from None
        if not self.writable:
            for n, line in enumerate(self.fidx, 1):
                fields = line.strip().split("\t")
                if fields == [""]:
                    continue
                try:
                    key, pos = self.key_type(fields[0]), int(fields[1])
                except (ValueError, IndexError):
                    raise MXNetError(f"MXIndexedRecordIO: line {n} of index '{self.idx_path}' "
                                     f"is not 'key<TAB>offset': {line.strip()!r}") from None
                self.idx[key] = pos
                self.keys.append(key)

    def close(self):
        if not getattr(self, "is_open", False):
            return
        super().close()
        self.fidx.close()

    def __getstate__(self):
        d = super().__getstate__()
        d["fidx"] = None
        return d

    def seek(self, idx):
        """Moves the reader to the record of key ``idx``."""
        if idx not in self.idx:
            raise MXNetError(f"MXIndexedRecordIO.seek: no record with key {idx!r} in "
                             f"'{self.idx_path}'")
        self._seek(self.idx[idx])

    def tell(self):
        return super().tell()

    def read_idx(self, idx):
        """The record of key ``idx``."""
        self.seek(idx)
        return self.read()

    def write_idx(self, idx, buf):
        """Appends ``buf`` as the record of key ``idx`` and indexes it."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self.fidx.write("%s\t%d\n" % (str(key), pos))
        self.idx[key] = pos
        self.keys.append(key)


# The header MXNet puts before each image: flag (number of float labels that follow it, 0 when
# the label is the single float ``label``), label, id, id2.
IRHeader = namedtuple("HEADER", ["flag", "label", "id", "id2"])
_IR_FORMAT = "IfQQ"
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def pack(header, s):
    """Header (an IRHeader or 4-tuple; label a number or an array) + bytes ``s`` -> bytes."""
    header = IRHeader(*header)
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = np.asarray(header.label, dtype=np.float32)
        header = header._replace(flag=label.size, label=0)
        s = label.tobytes() + s
    return struct.pack(_IR_FORMAT, *header) + s


def unpack(s):
    """bytes -> (IRHeader, payload); a multi-value label comes back as a float32 array."""
    if len(s) < _IR_SIZE:
        raise MXNetError(f"recordio.unpack: a record needs at least {_IR_SIZE} bytes of header, "
                         f"got {len(s)}")
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        header = header._replace(label=np.frombuffer(s, np.float32, header.flag))
        s = s[header.flag * 4:]
    return header, s


def unpack_img(s, iscolor=-1):
    """bytes -> (IRHeader, image as decoded by cv2.imdecode(…, iscolor): BGR uint8)."""
    header, s = unpack(s)
    img = _cv2("recordio.unpack_img").imdecode(np.frombuffer(s, dtype=np.uint8), iscolor)
    if img is None:
        raise MXNetError("recordio.unpack_img: the record does not hold an image OpenCV decodes")
    return header, img


def encode_params(cv2, img_fmt, quality):
    """OpenCV's imencode parameters for '.jpg' (quality) or '.png' (compression level)."""
    fmt = img_fmt.upper()
    if fmt in (".JPG", ".JPEG"):
        return [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    if fmt == ".PNG":
        return [cv2.IMWRITE_PNG_COMPRESSION, int(quality)]
    return []


def pack_img(header, img, quality=95, img_fmt=".jpg"):
    """Header + image (uint8 array, BGR as OpenCV) encoded as ``img_fmt`` -> bytes."""
    cv2 = _cv2("recordio.pack_img")
    ok, buf = cv2.imencode(img_fmt, np.asarray(img), encode_params(cv2, img_fmt, quality))
    if not ok:
        raise MXNetError(f"recordio.pack_img: failed to encode image as '{img_fmt}'")
    return pack(header, buf.tobytes())


def _lst_lines(image_lst, nsplit, partid):
    """The lines of part ``partid`` of ``nsplit`` equal byte ranges, as dmlc's text split."""
    with open(image_lst, "rb") as f:
        raw = f.read()
    step = -(-len(raw) // nsplit)

    def line_start(pos):
        if pos <= 0 or pos >= len(raw):
            return min(max(pos, 0), len(raw))
        if raw[pos - 1:pos] in (b"\n", b"\r"):
            return pos
        nl = raw.find(b"\n", pos)
        return len(raw) if nl < 0 else nl + 1

    lo, hi = line_start(step * partid), line_start(step * (partid + 1))
    return raw[lo:hi].decode().splitlines()


def _parse_lst_line(line, label_width):
    """(id, labels, file name) of one list line, or None for a line MXNet skips."""
    fields = line.split(None, label_width + 1)
    try:
        ident, labels = int(fields[0]), [float(fields[1])]
    except (ValueError, IndexError):
        return None
    try:
        labels += [float(v) for v in fields[2:label_width + 1]]
        if len(labels) != label_width or len(fields) < label_width + 2:
            raise ValueError
    except ValueError:
        raise MXNetError("im2rec: Invalid ImageList, did you provide the correct "
                         "label_width?") from None
    return ident, labels, fields[label_width + 1].strip()


def im2rec(image_lst, root, output_rec, label_width=1, pack_label=0, new_size=-1, nsplit=1,
           partid=0, center_crop=0, quality=95, color_mode=1, unchanged=0, inter_method=1,
           encoding=".jpg"):
    """Packs the images of a list file into a RecordIO file, as the MXNet R package's im2rec.

    List lines are ``index<TAB>label[<TAB>label...]<TAB>path``; each image ``root + path`` is
    decoded (``color_mode``: 1 colour, 0 grey, -1 unchanged), its shorter edge resized to
    ``new_size`` (after a centre square crop with ``center_crop``) when ``new_size > 0``, and
    re-encoded as ``encoding`` (``unchanged=1`` stores the file's bytes as they are).  With
    ``nsplit > 1`` only part ``partid`` of the list is packed, into ``output_rec.partNNN``.
    """
    from .io.image_augment import inter_method as choose_inter
    if color_mode not in (-1, 0, 1):
        raise MXNetError("im2rec: Color mode must be -1, 0 or 1.")
    if encoding not in (".jpg", ".png"):
        raise MXNetError("im2rec: Encoding mode must be .jpg or .png.")
    if label_width <= 1 and pack_label:
        raise MXNetError("im2rec: pack_label can only be used when label_width > 1")
    if nsplit < 1 or not 0 <= partid < nsplit:
        raise MXNetError(f"im2rec: partid must be in [0, nsplit), got partid={partid}, "
                         f"nsplit={nsplit}")
    if not os.path.isfile(image_lst):
        raise MXNetError(f"im2rec: image_lst '{image_lst}' does not exist")
    cv2 = _cv2("im2rec")
    if encoding == ".png" and quality > 9:
        quality = 3
    params = encode_params(cv2, encoding, quality)
    out_path = output_rec if nsplit == 1 else "%s.part%03d" % (output_rec, partid)
    rng = np.random.RandomState()
    tmp = out_path + ".tmp%d" % os.getpid()
    writer = MXRecordIO(tmp, "w")
    try:
        for line in _lst_lines(image_lst, nsplit, partid):
            parsed = _parse_lst_line(line, label_width)
            if parsed is None:
                continue
            ident, labels, fname = parsed
            blob = struct.pack(_IR_FORMAT, label_width if pack_label else 0, labels[0], ident, 0)
            if pack_label:
                blob += np.asarray(labels, np.float32).tobytes()
            path = root + fname
            try:
                with open(path, "rb") as f:
                    raw = f.read()
            except OSError as exc:
                raise MXNetError(f"im2rec: cannot open image '{path}': {exc.strerror}") from None
            if not unchanged:
                img = cv2.imdecode(np.frombuffer(raw, np.uint8), color_mode)
                if img is None:
                    raise MXNetError(f"im2rec: OpenCV decode fail: {path}")
                if new_size > 0:
                    img = _im2rec_resize(cv2, img, new_size, center_crop, inter_method, rng,
                                         choose_inter)
                ok, buf = cv2.imencode(encoding, img, params)
                if not ok:
                    raise MXNetError(f"im2rec: cannot encode '{path}' as {encoding}")
                raw = buf.tobytes()
            writer.write(blob + raw)
        writer.close()
        os.replace(tmp, out_path)
    finally:
        writer.close()
        if os.path.exists(tmp):
            os.remove(tmp)
    return out_path


def _im2rec_resize(cv2, img, new_size, center_crop, method, rng, choose_inter):
    rows, cols = img.shape[:2]
    if center_crop:
        if rows > cols:
            margin = (rows - cols) // 2
            img = img[margin:margin + cols]
        else:
            margin = (cols - rows) // 2
            img = img[:, margin:margin + rows]
        rows, cols = img.shape[:2]
    if rows > cols:
        if cols == new_size:
            return img
        size = (new_size, rows * new_size // cols)
    else:
        if rows == new_size:
            return img
        size = (new_size * cols // rows, new_size)
    interp = choose_inter(method, cols, rows, size[0], size[1], rng)
    return cv2.resize(img, size, interpolation=interp)

"""Reading an OLE2 compound file (MS-CFB) far enough to judge an uploaded .xls before a parser
allocates anything: its stream names (an encrypted .xlsx is an OLE2 file holding
``EncryptionInfo`` and ``EncryptedPackage``; a .doc holds ``WordDocument``) and the BIFF
records of its ``Workbook`` stream (MS-XLS): FILEPASS (an encrypted .xls), the sheets
(BOUNDSHEET: name, visibility) and, per sheet, the last row and column holding a value and
the cells holding a formula (the reader gives their cached values only).

Every malformation (a chain that loops or leaves the file, a record running past its
stream) raises ``Broken``; nothing here allocates more than a small multiple of the file."""
import struct
from dataclasses import dataclass, field

SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RESERVED, _DIFSECT, _END = 0xFFFFFFFA, 0xFFFFFFFC, 0xFFFFFFFE
WORKBOOK_STREAMS = ("Workbook", "Book", "WORKBOOK", "BOOK")   # the reader's order

# BIFF record types (MS-XLS 2.3)
_BOF, _EOF, _FILEPASS, _BOUNDSHEET = 0x0809, 0x000A, 0x002F, 0x0085
_FORMULAS = frozenset((0x0006, 0x0206, 0x0406))
_CELLS = frozenset((0x00FD, 0x0203, 0x027E, 0x0205, 0x0204, 0x00D6)) | _FORMULAS
_MULRK, _DIMENSIONS = 0x00BD, 0x0200
GRID = 65536 * 256   # cells of a BIFF8 sheet


class Broken(ValueError):
    """The file is not a readable compound file or workbook stream."""


class Compound:
    """The streams of a compound file, judged the way python-calamine will read them (its
    CFB reader follows a sector chain until ENDOFCHAIN with no loop check, and sizes a
    buffer from header fields): the header's FAT and DIFAT counts, every chain it follows
    (DIFAT, directory, mini stream, mini FAT, the workbook stream) ending inside the file
    without a loop; raises Broken otherwise."""

    def __init__(self, data):
        if not data.startswith(SIGNATURE) or len(data) < 512:
            raise Broken("no OLE2 header")
        self.data = data
        shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if shift not in (9, 12) or mini_shift != 6:
            raise Broken("sector size")
        self.size = 1 << shift
        self.sectors = (len(data) - 512) // self.size + 1
        fat_count, first_dir = struct.unpack_from("<II", data, 0x2C)
        self.cutoff, mini_fat_start, mini_fat_count = struct.unpack_from("<III", data, 0x38)
        reserved, = struct.unpack_from("<I", data, 0x3E)   # read as the DIFAT length: a capacity
        if fat_count > self.sectors or mini_fat_count > self.sectors or reserved > 1 << 22:
            raise Broken("header counts")
        self.fat = self._fat()
        raw = self._chain_bytes(first_dir)
        self.entries = [_entry(raw, offset) for offset in range(0, len(raw) - 127, 128)]
        if not self.entries:
            raise Broken("no directory")
        self.mini_stream, self.mini_fat = b"", ()
        if mini_fat_count:
            root = self.entries[0]
            self.mini_stream = self._chain_bytes(root[1], root[2])
            self.mini_fat = _u32s(self._chain_bytes(mini_fat_start))

    @property
    def names(self):
        return {name for name, _, _ in self.entries}

    def _sector(self, number):
        if number >= self.sectors:
            raise Broken("sector outside the file")
        start = (number + 1) * self.size
        return self.data[start:start + self.size]

    def _fat(self):
        """The FAT as the reader builds it: every sector the DIFAT lists below DIFSECT (the
        header's 109 entries, then the DIFAT chain followed until a reserved value)."""
        difat_start, = struct.unpack_from("<I", self.data, 0x44)
        listed = list(struct.unpack_from("<109I", self.data, 0x4C))
        sector, seen = difat_start, 0
        while sector < _RESERVED:
            if seen > self.sectors:
                raise Broken("the DIFAT chain loops")
            words = _u32s(self._sector(sector))
            listed.extend(words[:-1])
            sector, seen = words[-1], seen + 1
        return _u32s(b"".join(self._sector(s) for s in listed if s < _DIFSECT))

    def _chain(self, start, table):
        sector, seen = start, 0
        while sector < _END:
            if sector >= len(table) or seen > len(table):
                raise Broken("broken sector chain")
            yield sector
            sector, seen = table[sector], seen + 1

    def _chain_bytes(self, start, size=None):
        data = b"".join(self._sector(s) for s in self._chain(start, self.fat))
        return data if size is None else data[:size]

    def stream(self, name):
        """The first stream named ``name`` (the reader's lookup: names cut at the first NUL)."""
        _, start, size = next(e for e in self.entries if e[0] == name)
        if size >= self.cutoff:
            data = self._chain_bytes(start, size)
        else:
            chunks = (self.mini_stream[s * 64:(s + 1) * 64] for s in self._chain(start, self.mini_fat))
            data = b"".join(chunks)[:size]
        if len(data) < size:
            raise Broken(f"{name} is truncated")
        return data


def _entry(raw, offset):
    """``(name, start sector, size)`` of a directory entry, read as the reader reads it."""
    name = raw[offset:offset + 64].decode("utf-16-le", "replace").split("\0", 1)[0]
    start, size = struct.unpack_from("<II", raw, offset + 116)
    return name, start, size


def _u32s(raw):
    return struct.unpack(f"<{len(raw) // 4}I", raw[:len(raw) // 4 * 4])


@dataclass
class BiffSheet:
    name: str
    state: int          # 0 visible, 1 hidden, 2 very hidden
    kind: int           # 0 worksheet, 2 chart, 6 VBA module
    rows: int = 0       # the last row holding a cell (1-based, any depth), 0 when none
    columns: int = 0    # the last column holding a cell (1-based)
    formulas: dict = field(default_factory=dict)  # (row, column), 1-based -> "="


@dataclass
class BiffBook:
    encrypted: bool
    sheets: list


def _records(stream, pos):
    """``(type, body start, body length)`` of the records from ``pos`` to the stream's end."""
    end = len(stream)
    while pos + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, pos)
        if pos + 4 + length > end:
            raise Broken("record runs past the stream")
        yield kind, pos + 4, length
        pos += 4 + length


def _sheet_name(stream, start, length, biff8):
    if not biff8:
        return stream[start + 7:start + 7 + stream[start + 6]].decode("latin-1")
    count, flags = stream[start + 6], stream[start + 7]
    raw = stream[start + 8:start + length]
    return raw[:count * 2].decode("utf-16-le", "replace") if flags & 1 \
        else raw[:count].decode("latin-1")


def workbook(compound):
    """The BiffBook of the compound file's workbook stream (the reader's: the first of
    WORKBOOK_STREAMS); raises Broken, or StopIteration when there is none."""
    stream = compound.stream(next(n for n in WORKBOOK_STREAMS if n in compound.names))
    if len(stream) < 8 or struct.unpack_from("<H", stream, 0)[0] != _BOF:
        raise Broken("no BOF record")
    biff8 = struct.unpack_from("<H", stream, 4)[0] == 0x0600
    book, offsets = BiffBook(False, []), []
    for kind, start, length in _records(stream, 0):
        if kind == _FILEPASS:
            book.encrypted = True
            return book
        if kind == _BOUNDSHEET and length >= 8:
            offset, state, sheet_kind = struct.unpack_from("<IBB", stream, start)
            book.sheets.append(BiffSheet(_sheet_name(stream, start, length, biff8),
                                         state & 3, sheet_kind))
            offsets.append(offset)
        elif kind == _EOF:
            break
    for sheet, offset in zip(book.sheets, offsets):   # the reader reads every sheet at once
        _scan_sheet(stream, offset, sheet)
    return book


def _dimensions_area(stream, start, length):
    """The cells the reader reserves for a DIMENSIONS record, computed as it does (u32
    arithmetic that wraps on a first row after the last)."""
    if length == 14:
        first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", stream, start)
    elif length == 10:
        first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", stream, start)
    else:
        return 0
    if first_col > 0xFF or last_col < first_col:
        first_col = 0
    end_row, end_col = (last_row - 1, last_col - 1) if last_row >= 1 and last_col >= 1 \
        else (first_row, first_col)
    return ((end_row - first_row + 1) % 2**32) * ((end_col - first_col + 1) % 2**32)


def _scan_sheet(stream, offset, sheet):
    """The extent and formula cells of the sheet substream at ``offset``, nested substreams
    (an embedded chart) included; a DIMENSIONS record larger than the BIFF8 grid is
    refused (the reader reserves room for its whole rectangle). One loop, no generator:
    10,000 rows x 25 cells in 0.25 s."""
    unpack, end = struct.unpack_from, len(stream)
    if offset + 4 > end or unpack("<H", stream, offset)[0] != _BOF:
        raise Broken("sheet offset")
    pos = offset
    rows = columns = depth = 0
    while pos + 4 <= end:
        kind, length = unpack("<HH", stream, pos)
        start, pos = pos + 4, pos + 4 + length
        if pos > end:
            raise Broken("record runs past the stream")
        if kind in _CELLS:
            if length < 4:
                continue
            row, column = unpack("<HH", stream, start)
            if kind in _FORMULAS:
                sheet.formulas[(row + 1, column + 1)] = "="
        elif kind == _MULRK and length >= 6:
            row, column = unpack("<HH", stream, start)
            column = max(unpack("<H", stream, pos - 2)[0], column + (length - 6) // 6)
        else:
            if kind == _BOF:
                depth += 1
            elif kind == _EOF:
                depth -= 1
                if depth == 0:
                    break
            elif kind == _DIMENSIONS and _dimensions_area(stream, start, length) > GRID:
                raise Broken("dimensions")
            continue
        if row >= rows:
            rows = row + 1
        if column >= columns:
            columns = column + 1
    sheet.rows, sheet.columns = rows, columns

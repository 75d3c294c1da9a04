"""Reading a text file someone uploaded: which encoding, and whether it is text at all.

Windows' Notepad saves "Unicode" as UTF-16 with a byte-order mark; its zero bytes
would otherwise look like a binary file. Files with a byte-order mark are decoded
as what the mark says; others as UTF-8, else Latin-1.
"""

from __future__ import annotations

import codecs

from core.datasets import DataError

# Longest marks first: UTF-32-LE's mark starts with UTF-16-LE's.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-16 or UTF-32 with a byte-order mark, else UTF-8, else Latin-1
    (which can decode any byte)."""
    for bom, codec, name in BOMS:
        if data.startswith(bom):
            try:
                return decode_bytes(data[len(bom) :].decode(codec).encode("utf-8"))[0], name
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"The file says it is {name} but is damaged: save it again as UTF-8 text."
                ) from exc
    head = data[:8192]
    if len(head) >= 4 and b"\x00" in head:
        # UTF-16 without a mark: ASCII letters leave every other byte zero.
        odd, even = head[1::2].count(0), head[0::2].count(0)
        codec = "utf-16-le" if odd > 0.3 * len(head) / 2 and not even else ""
        codec = codec or ("utf-16-be" if even > 0.3 * len(head) / 2 and not odd else "")
        if codec:
            try:
                return decode_bytes(data.decode(codec).encode("utf-8"))[0], "UTF-16"
            except UnicodeDecodeError:
                pass  # not UTF-16 after all: the binary check below decides
    if not data.strip():
        raise DataError("The text is empty: upload or paste at least 10,000 characters of plain text.")
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13)) + head.count(127)
    if b"\x00" in head or control > 0.05 * len(head):
        raise DataError(
            "This does not look like a text file (it contains binary data, like a picture or a"
            " program): upload plain text saved as .txt."
        )
    try:
        text, encoding = data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "Latin-1 (the file is not valid UTF-8)"
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding

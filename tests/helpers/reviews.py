"""Review data the sentiment tests share: where the MR corpus is, and a tiny labelled table."""

from __future__ import annotations

import pytest

from tests.conftest import SOURCE_DATA

# The MR corpus where CI (RNN_STUDIO_DATA) or ../shared/data keeps it; tests that need it skip without it.
SHARED_MR = SOURCE_DATA / "rt-polaritydata"
NO_MR = f"the MR corpus is not in {SHARED_MR} (set RNN_STUDIO_DATA to a folder holding rt-polaritydata/)"
needs_mr = pytest.mark.skipif(not (SHARED_MR / "rt-polarity.pos").is_file(), reason=NO_MR)


def rows(pairs) -> str:
    return "text,label\n" + "".join(f'"{t}",{lab}\n' for t, lab in pairs)


POS = [f"a great fun film number {i}" for i in range(12)]
NEG = [f"a dull boring film number {i}" for i in range(12)]

"""Every test's duration from pytest's JUnit XML, slowest first: `python3 .ci/durations.py pytest.xml`."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

cases = ET.parse(sys.argv[1]).getroot().iter("testcase")
rows = sorted(
    ((float(c.get("time", 0)), f"{c.get('classname')}::{c.get('name')}") for c in cases), reverse=True
)
print(f"{sum(t for t, _ in rows):9.2f}s  total over {len(rows)} tests")
for seconds, name in rows:
    print(f"{seconds:9.2f}s  {name}")

"""A recorded feed with hostile lines: each is skipped with its reason, the replay goes on."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.feed import BadLine, read_feed

GOOD = {"type": "post", "ts": "2026-03-01T08:00:00Z", "source": "s", "id": "1", "text": "Acme"}


def test_hostile_lines_are_skipped_with_a_reason(tmp_path: Path) -> None:
    lines = ["[" * 20_000 + "]" * 20_000,
             json.dumps(GOOD)[:-1] + ', "reposts": ' + "9" * 5000 + "}",
             json.dumps(GOOD)[:-1] + ', "reposts": NaN}',
             json.dumps({**GOOD, "ts": "0001-01-01T00:00:00+14:00"}),
             json.dumps({"type": "quote", "ts": "2026-03-01T08:00:00Z", "source": "m", "symbol": "A",
                         "price": 1e300, "prev_close": 1}),
             json.dumps(GOOD)]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(lines) + "\n")
    got = list(read_feed(feed))
    assert [str(item) for _, item in got[:5]] == [
        "feed.jsonl: line 1: JSON is nested 20000 levels deep; the limit is 64 (limits.max_depth) (line skipped)",
        "feed.jsonl: line 2: a number with thousands of digits is out of range; numbers must be finite and within "
        "±9.22337e+18 (limits.max_number) (line skipped)",
        "feed.jsonl: line 3: NaN is not a number JSON allows; send a finite number (line skipped)",
        "feed.jsonl: line 4: field 'ts' is out of range: '0001-01-01T00:00:00+14:00' (years 1900 to 2200) "
        "(line skipped)",
        "feed.jsonl: line 5: number 1e+300 is out of range; numbers must be finite and within ±9.22337e+18 "
        "(limits.max_number) (line skipped)",
    ]
    assert not isinstance(got[5][1], BadLine) and got[5][0] == 6

"""The demo's readers have believable names: different from each other, no numbers, one script each."""

from __future__ import annotations

import random
import re

from core import demo


def test_demo_names_are_distinct_and_plain():
    names = demo._names(random.Random(2024), 200)
    assert len(set(names)) == 200
    for zh, pinyin in names:
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", zh) and re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", pinyin)
    assert demo._names(random.Random(2024), 5) == demo._names(random.Random(2024), 5)  # seeded

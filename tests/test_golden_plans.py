"""Golden plans: the example config's JSON plan at three fixed dates matches a reviewed snapshot.

Regenerate after a deliberate planning change with RACECAL_UPDATE_GOLDEN=1, then review the diff
like code: every changed line is a changed training instruction.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from scheduler.explain import plan_to_json
from service.config.load import load_config
from service.planning import plan_for

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
DATES = {
    "20-weeks-out": date(2026, 12, 6),  # 20 weeks before Hamburg (2027-04-25)
    "race-specific": date(2027, 3, 10),  # week -7 .. -4 of the block
    "race-week": date(2027, 4, 21),  # Wednesday of race week
}


@pytest.mark.parametrize("name", sorted(DATES))
def test_example_plan_matches_snapshot(name: str) -> None:
    entry = load_config(ROOT / "config.example.toml").athletes[0]
    plan = plan_for(entry, DATES[name], weeks=8).plan
    got = json.dumps(plan_to_json(plan), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    path = GOLDEN / f"plan-{name}.json"
    if os.environ.get("RACECAL_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with RACECAL_UPDATE_GOLDEN=1 and review it"
    assert got == path.read_text(encoding="utf-8")

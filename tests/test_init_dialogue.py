"""`racecal init` as a person meets it, on a terminal: what sizes the plan is asked (weekly
km, a recent result or else the easy pace, a goal), a bad answer is asked again at once, and
what it writes is the plan the person meant (a file named relative to where they are, the
goal on their A race)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from scheduler.model import Priority
from service.config.load import load_config
from service.sync.planned import with_goal
from tests.support import race

RACECAL = Path(sys.executable).parent / "racecal"
ROOT = Path(__file__).resolve().parent.parent


class Terminal:
    """A process on a pseudo-terminal, answered prompt by prompt."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.fd, child = pty.openpty()
        env = {**os.environ, "TERM": "dumb", "COLUMNS": "120"}
        self.process = subprocess.Popen(
            args, stdin=child, stdout=child, stderr=child, cwd=cwd, env=env, close_fds=True
        )
        os.close(child)
        self.seen = ""

    def expect(self, text: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no {text!r} on the terminal; it shows:\n{self.seen}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the process ended and closed the terminal
                    chunk = b""
                if not chunk:
                    assert text in self.seen, f"ended before {text!r}:\n{self.seen}"
                self.seen += chunk.decode(errors="replace")

    def answer(self, prompt: str, reply: str) -> None:
        self.expect(prompt)
        # What follows is the next question's: forget this one so `expect` waits for it.
        self.seen = self.seen[self.seen.index(prompt) + len(prompt) :]
        os.write(self.fd, reply.encode() + b"\r")

    def close(self) -> int:
        code = self.process.wait(timeout=60)
        os.close(self.fd)
        return code


def test_the_init_dialogue_on_a_terminal(tmp_path: Path) -> None:
    target = tmp_path / "conf" / "config.toml"
    (tmp_path / "cals").mkdir()
    term = Terminal([str(RACECAL), "init", "--path", str(target)], cwd=tmp_path)
    try:
        term.answer("Athlete id", "kim lee")
        term.expect("use lowercase letters, digits, - and _")  # at the first question
        term.answer("Athlete id", "kim")
        term.answer("Timezone", "Europe/Berlin")
        term.answer("Run days", "tue,thu,sat,sun")
        term.answer("Long-run day", "mon")
        term.expect("is not one of the run days")
        term.answer("Long-run day", "sat")
        term.answer("Weekday training windows", "")
        term.answer("Weekend training windows", "")
        term.answer("Weekly running km today", "32")
        term.answer("Recent race result", "")
        term.answer("Easy pace", "6:1")
        term.expect("expected min:sec per km")
        term.answer("Easy pace", "6:10")
        term.answer("Goal time for your next A race", "1:59:00")
        term.answer("Calendar backend", "ics")
        term.answer("Race calendar", "cals/races.ics")
        term.answer("Busy-time calendar", "")
        term.answer("Training calendar file", "")
        term.expect("wrote")
    finally:
        code = term.close()
    assert code == 0, term.seen
    entry = load_config(target).athletes[0]
    assert entry.athlete.id == "kim"
    assert entry.athlete.long_run_day == 5
    assert entry.athlete.weekly_km == 32
    assert entry.athlete.easy_pace_s_per_km == 370
    assert entry.goal_s == 1 * 3600 + 59 * 60
    # Typed relative to the folder init ran in, not to the config's folder.
    assert entry.race_ics == (tmp_path / "cals" / "races.ics",)


def test_the_config_goal_goes_on_the_next_a_race_without_one() -> None:
    today = date(2027, 1, 11)
    past = race("past", date(2026, 10, 3))
    half = race("half", date(2027, 3, 28), 21.1, Priority.B)
    marathon = race("m", date(2027, 4, 25))
    later = race("autumn", date(2027, 10, 10))
    races = (past, half, marathon, later)
    goal = 3 * 3600 + 30 * 60
    got = {r.uid: r.goal_s for r in with_goal(races, goal, today)}
    assert got == {"past": None, "half": None, "m": goal, "autumn": None}
    # The event's own goal wins.
    own = replace(marathon, goal_s=3 * 3600 + 45 * 60)
    kept = {r.uid: r.goal_s for r in with_goal((past, half, own, later), goal, today)}
    assert kept["m"] == 3 * 3600 + 45 * 60
    assert kept["autumn"] is None
    assert with_goal(races, None, today) == races

"""One line of `racecal doctor`: what was checked, and whether it is fine or what to fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    status: str  # ok | warn | fail
    what: str
    detail: str

    def line(self) -> str:
        return f"{self.status:4}  {self.what}: {self.detail}"

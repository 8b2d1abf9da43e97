"""The planner's front door: one request in, one placed plan out."""

from __future__ import annotations

from scheduler.model import Plan, PlanRequest


def build_plan(request: PlanRequest) -> Plan:
    """Periodize the races, derive the sessions and place them for `request.weeks` weeks."""
    raise NotImplementedError  # being written in this commit series

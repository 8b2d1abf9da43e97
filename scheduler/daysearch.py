"""Exhaustive searches over one week's days: which days the week's strength sessions take
(L2, L6, cheapest by cost) and which its quality runs take (L4, most placed, in preference
order). A week has seven days, so both enumerate every choice."""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations, pairwise, product

from scheduler.sessions import SessionSpec


def cheapest(
    valid: tuple[tuple[int, ...], ...], costs: list[list[float]]
) -> tuple[int, ...] | None:
    """The valid combo of least total cost. `valid` comes in ascending order, so keeping the
    first of equal costs is the tie-break by combo. Sums add in slot order, so a total is the
    same float whichever way it is spelled; the common sizes are spelled out because a
    generator per combo costs more than the addition."""
    best: tuple[int, ...] | None = None
    best_cost = 0.0
    if len(costs) == 1:
        (first,) = costs
        for combo in valid:
            cost = first[combo[0]]
            if best is None or cost < best_cost:
                best, best_cost = combo, cost
    elif len(costs) == 2:
        first, second = costs
        for combo in valid:
            a, b = combo
            cost = first[a] + second[b]
            if best is None or cost < best_cost:
                best, best_cost = combo, cost
    elif len(costs) == 3:
        first, second, third = costs
        for combo in valid:
            a, b, c = combo
            cost = first[a] + second[b] + third[c]
            if best is None or cost < best_cost:
                best, best_cost = combo, cost
    else:
        for combo in valid:
            cost = sum(costs[n][i] for n, i in enumerate(combo))
            if best is None or cost < best_cost:
                best, best_cost = combo, cost
    return best


@lru_cache(maxsize=8192)
def valid_combos(
    weekdays: tuple[int, ...], count: int, empty: tuple[int, ...], rest_ours: bool = True
) -> tuple[tuple[int, ...], ...]:
    """Index tuples into `weekdays` (one week's usable days) that keep L2 (no two on
    consecutive days) and L6 (some empty day stays empty). `rest_ours` False: the other app's
    plan (R6) left the week no empty day, and its L6 is that plan's to keep, not racecal's.
    Weeks repeat these patterns, so the answer is cached."""
    out = []
    for combo in combinations(range(len(weekdays)), count):
        if any(weekdays[b] - weekdays[a] == 1 for a, b in pairwise(combo)):
            continue
        chosen = {weekdays[i] for i in combo}
        if rest_ours and all(d in chosen for d in empty):
            continue
        out.append(combo)
    return tuple(out)


def assign_days(
    specs: list[SessionSpec], options: list[list[tuple[int, tuple[int, int]]]]
) -> list[int]:
    """Per spec, the index of its chosen option or -1: the most specs placed, and among those
    the first assignment in the specs' own orders of preference. Two key runs never take
    neighbouring days (L4); no two runs share a day. A week holds at most three quality runs
    of at most seven options each, so the search is exhaustive (and nearly always ends at its
    first candidate)."""
    best: tuple[int, ...] = (-1,) * len(specs)
    best_count = 0
    for picks in product(*[[*range(len(o)), -1] for o in options]):
        count = 0
        for n, pick in enumerate(picks):
            if pick < 0:
                continue
            day = options[n][pick][0]
            if not all(
                compatible(specs[m], options[m][picks[m]][0], specs[n], day)
                for m in range(n)
                if picks[m] >= 0
            ):
                count = -1
                break
            count += 1
        if count > best_count:
            best, best_count = picks, count
            if count == len(specs):
                break
    return list(best)


def compatible(a: SessionSpec, a_day: int, b: SessionSpec, b_day: int) -> bool:
    if a_day == b_day:
        return False
    return not (a.key_run and b.key_run and abs(a_day - b_day) == 1)


def spaced(days: list[int]) -> int:
    """How many of `days` (ascending) can hold strength with none on consecutive days (L2)."""
    count, last = 0, -2
    for day in days:
        if day - last > 1:
            count, last = count + 1, day
    return count


def needs_first_day(usable: list[int], first: int, need: int) -> bool:
    """L2 across a week's edge: whether the next week's `usable` strength days hold `need`
    sessions only with its first day (Monday), which a lift on this week's Sunday would take."""
    return spaced(usable) >= need > spaced([d for d in usable if d != first])

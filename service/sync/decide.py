"""Compute, then act: the one place a pass decides, as pure functions over values.

`judge` looks at what the calendar holds of each session racecal knows (the store's
`SyncState`) and says whose it is (L12, the athlete's edit rules):

- an event whose fingerprint is one of the versions racecal wrote of that session is
  racecal's, whichever version it is and whatever state the store row is in (a write a failed
  or killed pass left pending, an older copy of the calendar restored): it is brought up to
  date;
- anything else the calendar holds under racecal's id is the athlete's (moved, retitled, a
  note or a reminder added, ...): pinned where it is, never written again;
- a session gone from the calendar was deleted by the athlete (a tombstone, never made
  again), unless its write was never confirmed, the event was made after the restored copy
  of the calendar was taken, or the whole calendar was lost (re-created or emptied): those
  are made again, with the athlete's recorded edits still holding.

`decide` then returns the fewest actions that make the calendar show the plan: an unchanged
session costs nothing, a moved one is an update in place (same id), history (sessions that
started) and the athlete's sessions are never touched. Its actions include the store
bookkeeping `judge` found (edits seen, writes confirmed, releases taken), so the one
executor (service.sync.execute) records everything, and a dry run prints everything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

from connectors.base import RemoteEvent, SessionEvent, managed_id
from service.store.payload import from_payload
from service.store.records import Edit, Managed, RaceNews, SourceMemory, SyncState
from service.sync.fingerprint import changes, of_held, of_write

# -- actions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Create:
    event: SessionEvent
    fingerprint: str

    @property
    def key(self) -> str:
        return self.event.session_key

    def line(self) -> str:
        return f"create  {self.key}  {_span(self.event.start, self.event.end)}  {self.event.title}"


@dataclass(frozen=True)
class Update:
    event: SessionEvent
    etag: str | None
    fingerprint: str
    held: RemoteEvent

    @property
    def key(self) -> str:
        return self.event.session_key

    def line(self) -> str:
        before, after = self.held, self.event
        what = []
        if (before.start, before.end) != (after.start, after.end):
            what.append(f"{_span(before.start, before.end)} -> {_span(after.start, after.end)}")
        if before.title != after.title:
            what.append(f"title '{before.title}' -> '{after.title}'")
        if before.description != after.description:
            what.append("description")
        return f"update  {self.key}  {'; '.join(what) or 'content'}"


@dataclass(frozen=True)
class Delete:
    key: str
    remote_id: str
    etag: str | None
    held: RemoteEvent

    def line(self) -> str:
        return f"delete  {self.key}  {_span(self.held.start, self.held.end)}  {self.held.title}"


@dataclass(frozen=True)
class Settle:
    """The calendar holds a version racecal wrote (or takes over, after a release)."""

    key: str
    held: RemoteEvent
    fingerprint: str

    def line(self) -> str:
        return f"settle  {self.key}  the calendar holds racecal's write"


@dataclass(frozen=True)
class Forget:
    """A store row with nothing behind it: a write that never happened, a delete that did."""

    key: str

    def line(self) -> str:
        return f"forget  {self.key}"


@dataclass(frozen=True)
class RecordEdit:
    edit: Edit

    @property
    def key(self) -> str:
        return self.edit.key

    def line(self) -> str:
        if self.edit.kind == "deleted":
            return f"yours   {self.key}  you deleted it: it is not made again"
        what = ", ".join(self.edit.changes) or "changed"
        return f"yours   {self.key}  you changed it ({what}): racecal leaves it as it is"


@dataclass(frozen=True)
class DropEdit:
    """A release taken: the session is racecal's again."""

    key: str

    def line(self) -> str:
        return f"release {self.key}  racecal takes it back"


@dataclass(frozen=True)
class RecordRaces:
    news: RaceNews

    def line(self) -> str:
        n = self.news
        parts = [f"{len(n.new)} new", f"{len(n.changed)} changed", f"{len(n.removed)} removed"]
        return f"races   {', '.join(parts)}"


@dataclass(frozen=True)
class KeepPlan:
    """The plan of this pass, kept as the last good plan (what the views show)."""

    digest: str
    body: str

    def line(self) -> str:
        return "plan    kept as the last good plan"


@dataclass(frozen=True)
class RecordSources:
    """What each race, busy and runs source held in this pass (the empty-source guard's
    memory)."""

    sources: Mapping[str, SourceMemory]
    # One line per source the guard holds: the pass keeps the current plan.
    held: tuple[str, ...] = ()

    def line(self) -> str:
        if self.held:
            return f"hold    {len(self.held)} source(s) read empty: the plan is kept"
        return f"sources {len(self.sources)} read"


Write = Create | Update | Delete
Action = (
    Create
    | Update
    | Delete
    | Settle
    | Forget
    | RecordEdit
    | DropEdit
    | RecordRaces
    | KeepPlan
    | RecordSources
)
WRITES = (Create, Update, Delete)


def action_key(action: Action) -> str:
    return getattr(action, "key", "")


def as_json(action: Action) -> dict[str, object]:
    """One action for `sync --dry-run --json`; event contents but no etags."""
    name = type(action).__name__.lower()
    out: dict[str, object] = {"action": name}
    if isinstance(action, Create | Update):
        e = action.event
        out.update(
            key=e.session_key,
            id=e.id,
            title=e.title,
            start=e.start.isoformat(),
            end=e.end.isoformat(),
        )
        if isinstance(action, Update):
            out["before"] = _event_json(action.held)
    elif isinstance(action, Delete):
        out.update(key=action.key, id=action.remote_id, before=_event_json(action.held))
    elif isinstance(action, Settle | Forget | DropEdit):
        out["key"] = action.key
    elif isinstance(action, RecordEdit):
        edit = action.edit
        out.update(key=edit.key, kind=edit.kind, changes=list(edit.changes), title=edit.title)
        if edit.start is not None and edit.end is not None:
            out.update(start=edit.start.isoformat(), end=edit.end.isoformat())
    elif isinstance(action, RecordSources):
        out.update(held=list(action.held))
    elif isinstance(action, RecordRaces):
        news = action.news
        out.update(
            new=[u for u, _, _ in news.new],
            changed=[u for u, _, _ in news.changed],
            removed=list(news.removed),
        )
    return out


def _event_json(event: RemoteEvent) -> dict[str, object]:
    return {"title": event.title, "start": event.start.isoformat(), "end": event.end.isoformat()}


def _span(start: object, end: object) -> str:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return f"{start:%a %Y-%m-%d %H:%M}-{end:%H:%M}"
    return f"{start}-{end}"


# -- judging what the calendar holds -------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """Whose each session is after one look at the calendar."""

    # racecal's own events the calendar holds now, by session key.
    held: Mapping[str, RemoteEvent] = field(default_factory=dict)
    # The athlete's sessions after this look (pinned or deleted), by key.
    edits: Mapping[str, Edit] = field(default_factory=dict)
    # Store rows with no event behind them that is racecal's or the athlete's.
    stale: frozenset[str] = frozenset()
    # The calendar was lost (re-created or emptied): the athlete's pinned sessions are made
    # again where they put them.
    lost: bool = False
    bookkeeping: tuple[Action, ...] = ()

    def pinned(self) -> dict[str, tuple[datetime, datetime]]:
        return {
            k: (e.start, e.end)
            for k, e in self.edits.items()
            if e.kind == "pinned" and e.start is not None and e.end is not None
        }

    def deleted(self) -> frozenset[str]:
        """Sessions never placed again: deleted ones, and changed ones no pin can hold (made
        all-day by the athlete)."""
        pinned = self.pinned()
        return frozenset(k for k in self.edits if k not in pinned)


def judge(
    state: SyncState,
    remote: Mapping[str, RemoteEvent],
    now: datetime,
    tz: ZoneInfo,
    reset: bool = False,
) -> Seen:
    """Whose is each session racecal knows, judged from the calendar (`remote`, by event id)
    against the versions racecal wrote; `reset` says the calendar was made anew."""
    managed, versions = state.managed, state.versions
    keys = set(managed) | set(state.edits)
    keys.update(
        e.session_key
        for e in remote.values()
        if e.session_key and e.id == managed_id(state.athlete_id, e.session_key)
    )

    def event_of(key: str) -> RemoteEvent | None:
        row = managed.get(key)
        return remote.get(row.remote_id if row else managed_id(state.athlete_id, key))

    present = {k: _on_clock(e, tz) for k in keys if (e := event_of(k)) is not None}
    prints = {k: of_held(e) for k, e in present.items()}
    expected = [k for k, row in managed.items() if row.state in ("written", "pending_update")]
    lost = reset or (len(expected) > 1 and not present)
    copy_taken = None if lost else _restored_copy(managed, versions, prints)

    held: dict[str, RemoteEvent] = {}
    edits = {k: e for k, e in state.edits.items() if e.kind != "released"}
    stale: set[str] = set()
    notes: list[Action] = []
    for key in sorted(keys):
        row, edit, event = managed.get(key), state.edits.get(key), present.get(key)
        mine = versions.get(key, {})
        if edit is not None and edit.kind == "released":
            notes.append(DropEdit(key))
            if event is not None:
                held[key] = event
                notes.append(Settle(key, event, prints[key]))
            elif row is not None:
                stale.add(key)
            continue
        if edit is not None:
            seen = _still_theirs(edit, event, prints.get(key), row, now, tz, lost)
            if seen is not edit:
                notes.append(RecordEdit(seen))
                edits[key] = seen
            continue
        if event is not None:
            fingerprint = prints[key]
            if fingerprint in mine or (row is None and not mine):
                # racecal's (the second case: a session racecal wrote but has no record of,
                # its store lost or new; its event carries racecal's id and tag).
                held[key] = event
                if _unsettled(row, event, fingerprint):
                    notes.append(Settle(key, event, fingerprint))
            else:
                theirs = _theirs(key, event, fingerprint, row, now, tz)
                notes.append(RecordEdit(theirs))
                edits[key] = theirs
            continue
        if row is None:
            continue
        made_after_copy = (
            copy_taken is not None and row.created_at is not None and row.created_at > copy_taken
        )
        if lost or row.state == "pending_create" or made_after_copy:
            stale.add(key)  # to be made (again) if the plan still has it
        elif row.state == "pending_delete":
            notes.append(Forget(key))  # racecal's delete went through
        else:
            gone = Edit(key, "deleted", now, title=_last_title(row))
            notes.append(RecordEdit(gone))
            edits[key] = gone
    return Seen(held, edits, frozenset(stale), lost, tuple(notes))


def _restored_copy(
    managed: Mapping[str, Managed],
    versions: Mapping[str, Mapping[str, datetime]],
    prints: Mapping[str, str],
) -> datetime | None:
    """When the calendar went back to an older copy of itself (a backup restored, a sync tool
    replaying an old state): some event whose newest write was confirmed holds an older
    version racecal wrote. Returns when that copy was taken (the newest version it holds);
    None when nothing went back."""
    back = any(
        (row := managed.get(k)) is not None
        and row.state == "written"
        and p != row.fingerprint
        and p in versions.get(k, {})
        for k, p in prints.items()
    )
    if not back:
        return None
    return max(versions[k][p] for k, p in prints.items() if p in versions.get(k, {}))


def _unsettled(row: Managed | None, event: RemoteEvent, fingerprint: str) -> bool:
    if row is None:
        return True
    return (
        row.pending
        or row.fingerprint != fingerprint
        or row.etag != event.etag
        or row.remote_id != event.id
    )


def _theirs(
    key: str,
    event: RemoteEvent,
    fingerprint: str,
    row: Managed | None,
    now: datetime,
    tz: ZoneInfo,
    before: Edit | None = None,
) -> Edit:
    """The athlete's version of a session as an edit: pinned at its times (a cancelled event
    counts as deleted; an all-day one is pinned without times, so no plan holds it)."""
    last = from_payload(row.payload) if row is not None else None
    changed = changes(event, last.title, last.description, last.start, last.end) if last else ()
    if before is not None:
        changed = tuple(sorted(set(changed) | set(before.changes)))
    if ("status", "cancelled") in event.extras:
        return Edit(key, "deleted", now, None, None, event.title, changed, fingerprint)
    start, end = _aware(event.start, tz), _aware(event.end, tz)
    if start is None or end is None or end <= start:
        return Edit(key, "pinned", now, None, None, event.title, changed, fingerprint)
    return Edit(key, "pinned", now, start, end, event.title, changed, fingerprint)


def _still_theirs(
    edit: Edit,
    event: RemoteEvent | None,
    fingerprint: str | None,
    row: Managed | None,
    now: datetime,
    tz: ZoneInfo,
    lost: bool,
) -> Edit:
    """An athlete's session, looked at again: a further change or a deletion is recorded; the
    same edit comes back when nothing changed (or the calendar was lost: it holds still)."""
    if event is None or fingerprint is None:
        if lost or edit.kind == "deleted":
            return edit
        return replace(edit, kind="deleted", seen_at=now, start=None, end=None)
    if edit.kind == "pinned" and fingerprint == edit.fingerprint:
        return edit
    return _theirs(edit.key, event, fingerprint, row, now, tz, before=edit)


def _on_clock(event: RemoteEvent, tz: ZoneInfo) -> RemoteEvent:
    """A floating time (an app that dropped the TZID) read on the athlete's own clock, so the
    same wall-clock time is not taken for a move."""
    floating = [isinstance(v, datetime) and v.tzinfo is None for v in (event.start, event.end)]
    if not any(floating):
        return event
    start, end = (
        v.replace(tzinfo=tz) if isinstance(v, datetime) and v.tzinfo is None else v
        for v in (event.start, event.end)
    )
    return replace(event, start=start, end=end)


def _aware(value: object, tz: ZoneInfo) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _last_title(row: Managed) -> str | None:
    last = from_payload(row.payload)
    return last.title if last is not None else None


# -- deciding -------------------------------------------------------------------------------


def decide(desired: Mapping[str, SessionEvent], seen: Seen, now: datetime) -> list[Action]:
    """The fewest actions that make the calendar show `desired` (by session key), given whose
    each session is (`judge`): the bookkeeping first, then creates and updates in key order,
    then deletes."""
    actions: list[Action] = list(seen.bookkeeping)
    for key in sorted(desired):
        event = desired[key]
        edit = seen.edits.get(key)
        if edit is not None:
            if seen.lost and edit.kind == "pinned" and edit.start is not None:
                # The calendar was lost: the athlete's session is made again where they put it.
                again = replace(event, title=edit.title or event.title)
                actions.append(Create(again, of_write(again)))
            continue  # L12: the athlete's, as they left it
        held = seen.held.get(key)
        if held is None:
            actions.append(Create(event, of_write(event)))
            continue
        if _started(held, now):
            continue  # history
        expect = of_write(event, held)
        if of_held(held) != expect:
            actions.append(Update(event, held.etag, expect, held))
    for key in sorted(set(seen.held) - set(desired)):
        held = seen.held[key]
        if not _started(held, now):
            actions.append(Delete(key, held.id, held.etag, held))
    actions.extend(Forget(k) for k in sorted(seen.stale - set(desired)))
    return actions


def _started(event: RemoteEvent, now: datetime) -> bool:
    start = event.start
    if not isinstance(start, datetime):
        return datetime.combine(start, time(0), tzinfo=now.tzinfo) < now
    return start.tzinfo is not None and start < now


def counts(actions: list[Action]) -> dict[str, int]:
    """How many calendar writes of each kind the actions hold (for a dry run's line)."""
    return {
        "created": sum(isinstance(a, Create) for a in actions),
        "updated": sum(isinstance(a, Update) for a in actions),
        "deleted": sum(isinstance(a, Delete) for a in actions),
    }


def dumps(actions: list[Action]) -> str:
    return json.dumps([as_json(a) for a in actions], indent=2, sort_keys=True)

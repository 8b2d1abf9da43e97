"""The config file's shape, declared once: each table with its keys, their kinds (bounds and
domain checks in service.config.fields) and defaults, and the checks of one key against
another. service.config.load turns a validated file into the frozen values the code uses;
README.md and config.example.toml explain the keys to people.

A new key is one field here and its use in load.py: the allowed-keys lists in errors are read
from the fields.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Self

from pydantic import Field, PlainValidator, ValidationError, model_validator

from connectors import registry
from scheduler.exercises import ONE_RM_LIFTS
from scheduler.lifemarks import CATEGORIES, MARKERS
from scheduler.model import LifeKind, SameDayOrder, TimeWindow, Units
from scheduler.runkinds import override
from service.config.fields import (
    Address,
    AthleteId,
    DatabaseUrl,
    FilePath,
    FinishTime,
    Flag,
    Pace,
    PublicUrl,
    RaceResult,
    RunDays,
    Sources,
    Table,
    Text,
    Timezone,
    Weekday,
    Windows,
    between,
    listed,
    one_of,
    whole,
    wrong,
)
from service.config.reader import WEEKDAYS, key_path, message

HeartRate = Annotated[int, whole(80, 230)]


class ServiceTable(Table):
    """[service]; each key can also come from RACECAL_<KEY>, which wins (service_table.py)."""

    database_url: DatabaseUrl = "sqlite:///var/racecal.db"
    log_format: Annotated[str, one_of("text", "json")] = "text"
    interval_minutes: Annotated[float, between(0.1, 1440)] = 15.0
    http: Address | None = None
    # The endpoint's address as the athlete's apps reach it (a reverse proxy's https URL):
    # when set, each session's event links its workout file.
    public_url: PublicUrl | None = None
    pass_history_days: Annotated[float, between(1, 3650)] = 30.0
    # Who runs the passes: this process (APScheduler), or `racecal worker` processes on any
    # number of machines sharing one PostgreSQL (procrastinate; pip install 'racecal[scale]').
    executor: Annotated[str, one_of("embedded", "procrastinate")] = "embedded"
    # The Fernet keys that seal the Google tokens kept in the store (service.store.secrets):
    # a file of mode 0600 (relative to the config's folder), or an environment variable named
    # here (which wins when it is set).
    secret_key_file: FilePath | None = None
    secret_key_env: Text | None = None
    # The admin login of the HTTP endpoint (the athlete list, every plan page, /metrics): a
    # token sent as `Authorization: Bearer` or as an HTTP basic password, from a 0600 file or
    # the variable named here. Unset: no login (keep the endpoint on 127.0.0.1).
    admin_token_file: FilePath | None = None
    admin_token_env: Text | None = None

    @model_validator(mode="after")
    def _queue_on_postgresql(self) -> Self:
        if self.executor == "procrastinate" and not self.database_url.startswith("postgresql"):
            raise wrong(
                "procrastinate needs a PostgreSQL database_url "
                "(postgresql+psycopg://user@host/racecal)",
                "executor",
            )
        return self


class WindowsTable(Table):
    """[athletes.windows]: weekday and weekend windows, any single day set on its own."""

    weekdays: Windows = (TimeWindow(time(6), time(8)), TimeWindow(time(17), time(21)))
    weekend: Windows = (TimeWindow(time(7), time(12)), TimeWindow(time(16), time(19)))
    mon: Windows | None = None
    tue: Windows | None = None
    wed: Windows | None = None
    thu: Windows | None = None
    fri: Windows | None = None
    sat: Windows | None = None
    sun: Windows | None = None

    def by_day(self) -> tuple[tuple[TimeWindow, ...], ...]:
        days = []
        for i, name in enumerate(WEEKDAYS):
            own: tuple[TimeWindow, ...] | None = getattr(self, name)
            days.append(own if own is not None else self.weekdays if i < 5 else self.weekend)
        return tuple(days)


class SourcesTable(Table):
    """[athletes.races] and [athletes.busy]."""

    ics: Sources = ()


def _run_kinds(value: object) -> tuple[tuple[str, str], ...]:
    """R6: title patterns of the athlete's and the kind of run each names, in their order."""
    if not isinstance(value, dict):
        raise wrong(
            'expected a table of title patterns and kinds, like { "Parkrun" = "race pace" }'
        )
    for pattern, kind in value.items():
        try:
            override(pattern, kind if isinstance(kind, str) else repr(kind))
        except ValueError as exc:
            raise wrong(f"{pattern!r}: {exc}") from None
    return tuple(value.items())


RunKinds = Annotated[tuple[tuple[str, str], ...], PlainValidator(_run_kinds)]


class RunsTable(Table):
    """[athletes.runs]: the calendars of another app's running plan (R6)."""

    ics: Sources = ()
    kinds: RunKinds = ()


class OutputTable(Table):
    """[athletes.output]; the file defaults to var/<id>-training.ics."""

    ics: FilePath | None = None
    # 0600 instead of 0644: only racecal's user reads the file (no web server of yours can).
    private: Flag = False


# S8: a tested 1RM, in the athlete's units (kg, or lb with units = "imperial").
OneRepMax = Annotated[float, between(1, 1100)]


class OneRepMaxTable(Table):
    """[athletes.one_rep_max]: tested one-rep maxima by lift (keys: exercises.ONE_RM_LIFTS);
    loads are then written as % of them as well as RPE (S8)."""

    trap_bar_deadlift: OneRepMax | None = None
    front_squat: OneRepMax | None = None
    split_squat: OneRepMax | None = None
    step_up: OneRepMax | None = None
    romanian_deadlift: OneRepMax | None = None
    chest_press: OneRepMax | None = None
    row: OneRepMax | None = None

    def given(self) -> tuple[tuple[str, float], ...]:
        return tuple(
            (name, value) for name in ONE_RM_LIFTS if (value := getattr(self, name)) is not None
        )


def _markers(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise wrong('expected a table like {"#urlaub" = "holiday"}')
    for key in value:
        if not isinstance(key, str) or not key.startswith("#") or len(key) < 2 or " " in key:
            raise wrong(f"{key!r} is no marker: write it with its #, one word, e.g. '#urlaub'")
    return _kinds(value)


def _kinds(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise wrong('expected a table like {"Urlaub" = "holiday"}')
    kinds = [k.value for k in LifeKind]
    out = {}
    for key, kind in value.items():
        if not isinstance(kind, str) or kind not in kinds:
            raise wrong(f"{key!r} = {kind!r}: the kind must be one of {', '.join(kinds)}")
        out[str(key).strip().lower()] = kind
    return out


class LifeTable(Table):
    """[athletes.life]: markers in event titles and CATEGORIES values that mark holidays,
    travel, sickness, injury and strength-free days (L13-L16), added to the defaults (a key
    given here wins)."""

    markers: Annotated[dict[str, str], PlainValidator(_markers)] = Field(default_factory=dict)
    categories: Annotated[dict[str, str], PlainValidator(_kinds)] = Field(default_factory=dict)

    def marker_table(self) -> dict[str, LifeKind]:
        return {**MARKERS, **{k: LifeKind(v) for k, v in self.markers.items()}}

    def category_table(self) -> dict[str, LifeKind]:
        return {**CATEGORIES, **{k: LifeKind(v) for k, v in self.categories.items()}}


class AthleteTable(Table):
    """One [[athletes]] table."""

    id: AthleteId = Field(description="an id of lowercase letters, digits, - and _")
    timezone: Timezone = Field(description="an IANA timezone name, e.g. Europe/Berlin")
    run_days: RunDays = Field(description='3 to 7 weekdays like ["mon", "thu", "sat"] (R1)')
    long_run_day: Weekday = WEEKDAYS.index("sun")
    weekly_km: Annotated[float, between(5, 250)] = 40.0
    easy_pace: Pace = 6 * 60
    # R7: the paces come from this result when given (else a goal on the A race, else
    # easy_pace); S8: units also set kg or lb.
    recent_race: RaceResult | None = None
    # R7: the finish time aimed for in the next A race, when its event names none.
    goal: FinishTime | None = None
    units: Annotated[str, one_of(*Units)] = Units.METRIC
    max_hr: HeartRate | None = None
    threshold_hr: HeartRate | None = None
    max_strength_per_week: Annotated[int, whole(1, 3)] = 3
    same_day_order: Annotated[str, one_of(*SameDayOrder)] = SameDayOrder.AUTO
    experienced: Flag = False
    offseason: Annotated[str, one_of("structured", "maintenance")] = "structured"
    runs_from_calendar: Flag = False
    # L11 (soft, on by default): no heavy lower-body strength on the long-run day.
    no_heavy_legs_on_long_run_day: Flag = True
    one_rep_max: OneRepMaxTable = OneRepMaxTable()
    life: LifeTable = LifeTable()
    plan_weeks: Annotated[int, whole(1, 104)] = 16
    windows: WindowsTable = WindowsTable()
    races: SourcesTable = SourcesTable()
    busy: SourcesTable = SourcesTable()
    runs: RunsTable = RunsTable()
    output: OutputTable = OutputTable()
    # [athletes.<kind>] of each backend with a table of its own (connectors.registry), as the
    # backend's settings declare it; filled from those keys, never written as `calendars`.
    calendars: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def nested(cls) -> tuple[str, ...]:
        return registry.configured()

    @classmethod
    def hidden(cls) -> tuple[str, ...]:
        return ("calendars",)

    @classmethod
    def take_nested(cls, raw: dict[str, Any]) -> dict[str, Any]:
        return _backend_tables(raw, "Athlete", "calendars")

    @model_validator(mode="after")
    def _long_run_day(self) -> Self:
        if self.long_run_day not in self.run_days:
            raise wrong(
                f"'{WEEKDAYS[self.long_run_day]}' is not one of the run_days", "long_run_day"
            )
        return self

    @model_validator(mode="after")
    def _runs_calendar(self) -> Self:
        named = self.runs.ics or any(getattr(t, "runs", ()) for t in self.calendars.values())
        if self.runs_from_calendar and not named:
            raise wrong(
                "true needs the calendar your runs are in: [athletes.runs] ics, or runs in "
                "[athletes.caldav] or [athletes.google]",
                "runs_from_calendar",
            )
        return self

    @model_validator(mode="after")
    def _heart_rates(self) -> Self:
        if self.max_hr and self.threshold_hr and self.threshold_hr >= self.max_hr:
            raise wrong(
                f"{self.threshold_hr} is not below max_hr {self.max_hr}; the threshold heart "
                "rate is the one you can hold for about an hour",
                "threshold_hr",
            )
        return self


class ConfigFile(Table):
    """The whole file."""

    service: ServiceTable = ServiceTable()
    # [<kind>] of each backend that declares one (its keys every [athletes.<kind>] inherits);
    # an empty table is as good as none.
    shared: dict[str, Any] = Field(default_factory=dict)
    # None is as good: athletes may all live in the store (`racecal athlete add`).
    athletes: Annotated[tuple[AthleteTable, ...], listed("expected [[athletes]] tables")] = ()

    @model_validator(mode="after")
    def _across_athletes(self) -> Self:
        seen: set[str] = set()
        for i, entry in enumerate(self.athletes):
            if entry.id in seen:
                raise wrong(f"'{entry.id}' is used twice", f"athletes[{i}].id")
            seen.add(entry.id)
        for kind in registry.configured():
            if (
                registry.settings(kind).SHARED_REQUIRED
                and any(kind in a.calendars for a in self.athletes)
                and kind not in self.shared
            ):
                raise wrong(f"a [{kind}] table is needed for {registry.title(kind)} athletes", kind)
        return self

    @classmethod
    def nested(cls) -> tuple[str, ...]:
        return tuple(k for k in registry.configured() if registry.settings(k).Shared)

    @classmethod
    def hidden(cls) -> tuple[str, ...]:
        return ("shared",)

    @classmethod
    def take_nested(cls, raw: dict[str, Any]) -> dict[str, Any]:
        return _backend_tables(raw, "Shared", "shared")


def _backend_tables(raw: dict[str, Any], which: str, into: str) -> dict[str, Any]:
    """Each backend's table in `raw` checked against its settings' `which` Table and moved
    under `into`; a mistake names its key path below the backend's table. An empty shared
    table is dropped."""
    rest = {k: v for k, v in raw.items() if k not in registry.configured()}
    found: dict[str, Table] = {}
    for kind in registry.configured():
        if kind not in raw:
            continue
        model: type[Table] | None = getattr(registry.settings(kind), which)
        if model is None:
            continue
        try:
            table = model.model_validate(raw[kind])
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            below = key_path(first)
            raise wrong(message(first), f"{kind}.{below}" if below else kind) from None
        if which == "Athlete" or table.model_fields_set:
            found[kind] = table
    return {**rest, into: found}

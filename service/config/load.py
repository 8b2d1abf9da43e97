"""The TOML config, validated against service.config.schema and turned into the frozen values
the code uses; every error is one line naming the file, the key path and what was expected.
The [service] table's RACECAL_* environment is laid over it in service.config.service_table,
each backend's own table is declared by the backend (connectors.registry.settings) and handed
to it as a plain table with its file paths made absolute."""

from __future__ import annotations

import copy
import logging
import os
import re
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connectors import registry
from connectors.settings import resolved
from scheduler.doses import LB_PER_KG
from scheduler.lifemarks import CATEGORIES, MARKERS
from scheduler.model import Athlete, LifeKind, SameDayOrder, Units
from scheduler.runkinds import RunKind, override
from service.config.reader import ConfigError, key_path, message, read_toml
from service.config.schema import AthleteTable, ConfigFile
from service.config.service_table import ServiceConfig, label, service_config, with_environment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AthleteConfig:
    athlete: Athlete
    race_ics: tuple[Path, ...]
    busy_ics: tuple[Path, ...]
    output_ics: Path
    plan_weeks: int
    # R7: the goal for the next A race whose event names none ([[athletes]] goal), seconds.
    goal_s: int | None = None
    # http(s) calendars, fetched into `cache_dir` with conditional requests.
    race_urls: tuple[str, ...] = ()
    busy_urls: tuple[str, ...] = ()
    # R6: another app's running plan, as files and http(s) feeds ([athletes.runs] ics), and
    # the athlete's title patterns over the classifier's table ([athletes.runs.kinds]).
    runs_ics: tuple[Path, ...] = ()
    runs_urls: tuple[str, ...] = ()
    run_kinds: tuple[tuple[re.Pattern[str], RunKind], ...] = ()
    cache_dir: Path = Path("var/cache")
    # [athletes.<kind>] of each backend the athlete uses, over its [<kind>] table's keys, as
    # the backend reads it (connectors.registry.open_account); "where" names it in messages.
    calendars: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The output file's mode: 0644 (a web server of the athlete's can serve it) or 0600.
    output_mode: int = 0o644
    # Where what racecal writes lives (Config.state_dir): folders are made only below it.
    state_dir: Path = Path()
    # [service] public_url: each session's event links its workout file below it.
    public_url: str | None = None
    # [service] secret_key_file and secret_key_env: the keys that open the athlete's
    # credentials kept sealed in the store (a Google token granted on the web).
    secret_keys: tuple[Path | None, str | None] = (None, None)
    # Where its table sits, for messages: "<config>: athletes[0]".
    where: str = ""
    # [athletes.life]: title markers and CATEGORIES values of life events (L13-L16).
    life_markers: Mapping[str, LifeKind] = field(default_factory=lambda: dict(MARKERS))
    life_categories: Mapping[str, LifeKind] = field(default_factory=lambda: dict(CATEGORIES))


@dataclass(frozen=True)
class Config:
    path: Path
    service: ServiceConfig
    athletes: tuple[AthleteConfig, ...]
    # Where relative state paths (the SQLite store, the output calendar, the URL cache) live:
    # see state_dir() below.
    state_dir: Path = Path()
    # [<kind>] of each backend that has one ([google]: the OAuth client and its endpoints).
    shared: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The file's [[athletes]] tables as written (what the store keeps of them, as JSON).
    tables: tuple[Mapping[str, Any], ...] = ()

    def athlete(self, athlete_id: str | None) -> AthleteConfig:
        if not self.athletes:
            raise ConfigError(
                f"{self.path}: no athletes: add one with 'racecal athlete add' "
                "or an [[athletes]] table"
            )
        if athlete_id is None:
            return self.athletes[0]
        for entry in self.athletes:
            if entry.athlete.id == athlete_id:
                return entry
        known = ", ".join(a.athlete.id for a in self.athletes)
        raise ConfigError(f"{self.path}: no athlete '{athlete_id}' (configured: {known})")


CONFIG_HELP = (
    "Config file (default: $RACECAL_CONFIG, else the first of ./racecal.toml, "
    "$XDG_CONFIG_HOME/racecal/config.toml (~/.config/...), /etc/racecal/config.toml)."
)


def user_config(env: Mapping[str, str]) -> Path:
    """Where `racecal init` writes and the search looks: $XDG_CONFIG_HOME/racecal."""
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "racecal" / "config.toml"


def config_places(env: Mapping[str, str]) -> tuple[Path, ...]:
    """The files looked for, in order, when neither --config nor $RACECAL_CONFIG names one
    (as gcalcli, khal and vdirsyncer users expect: the folder, the user's, the machine's)."""
    return (Path("racecal.toml"), user_config(env), Path("/etc/racecal/config.toml"))


# The system service's folders (deploy/racecal.service: ConfigurationDirectory=racecal and
# StateDirectory=racecal), and the example calendars installed with racecal (the wheel's data
# files, in the venv's share/racecal: /opt/racecal/share/racecal for the system install).
SYSTEM_CONFIG_DIR = Path("/etc/racecal")
SYSTEM_STATE_DIR = Path("/var/lib/racecal")
INSTALLED_DATA = Path(sysconfig.get_path("data")) / "share" / "racecal"


def user_state(env: Mapping[str, str]) -> Path:
    """A user install's state: $XDG_STATE_HOME/racecal (~/.local/state/racecal)."""
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "racecal"


def state_dir(config: Path, env: Mapping[str, str]) -> Path:
    """Where what racecal writes goes: $STATE_DIRECTORY (set by systemd's StateDirectory= and
    by the image); else, for a config in /etc/racecal, /var/lib/racecal, so that an admin's
    `racecal status --config /etc/racecal/config.toml` reads the store the service writes
    instead of starting a second one beside the config; for the user's config (the one `init`
    writes), $XDG_STATE_HOME/racecal, as the XDG base directories ask; else (a config named by
    path, such as a checkout's example) the config file's folder, a workspace of its own."""
    given = env.get("STATE_DIRECTORY", "").split(":")[0]
    if given:
        return Path(given)
    folder = config.absolute().parent
    if folder == SYSTEM_CONFIG_DIR:
        return SYSTEM_STATE_DIR
    if folder == user_config(env).absolute().parent:
        state = user_state(env)
        if (folder / "var").is_dir() and not state.exists():
            # Written by a racecal that kept state beside the user's config: a fresh folder
            # would start an empty store and write every session to the calendar again.
            log.warning("state kept in %s/var as before; move that folder into %s", folder, state)
            return config.parent
        return state
    return config.parent


def config_path(given: str | None, env: Mapping[str, str] | None = None) -> Path:
    """--config, else $RACECAL_CONFIG, else the first of `config_places` that exists; a
    ConfigError naming every place looked at when none does."""
    env = os.environ if env is None else env
    if given or env.get("RACECAL_CONFIG"):
        return Path(given or env["RACECAL_CONFIG"])
    places = config_places(env)
    for place in places:
        if place.is_file():
            return place
    looked = ", ".join(str(p) for p in places)
    raise ConfigError(
        f"no config file: no --config, no $RACECAL_CONFIG, none of {looked}; "
        "run 'racecal init' to write one"
    )


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """`env` defaults to the process environment; tests pass their own."""
    env = os.environ if env is None else env
    raw = read_toml(path)
    raw["service"] = with_environment(raw.get("service", {}), env)
    try:
        file = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ConfigError(f"{path}: {label(key_path(first), env)}: {message(first)}") from None
    base = path.parent
    state = state_dir(path, env)
    shared = {kind: resolved(t, (base, state), None) for kind, t in file.shared.items()}
    service = service_config(file.service, base)
    return Config(
        path=path,
        service=service,
        athletes=tuple(
            _athlete(entry, f"{path}: athletes[{i}]", (base, state), shared, service)
            for i, entry in enumerate(file.athletes)
        ),
        state_dir=state,
        shared=shared,
        tables=tuple(copy.deepcopy(t) for t in raw.get("athletes", ())),
    )


def check_athlete(raw: object, where: str) -> AthleteTable:
    """One athlete's table checked as the config file's [[athletes]] are; a ConfigError
    `<where>: <key path>: <what is wrong>` when it is not good."""
    try:
        return AthleteTable.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        below = key_path(first)
        raise ConfigError(f"{where}: {below + ': ' if below else ''}{message(first)}") from None


def athlete_from_table(
    raw: Mapping[str, Any], config: Config, base: Path, where: str
) -> AthleteConfig:
    """An athlete kept outside the config file (in the store) as the config would build it:
    relative paths read from `base`, state under the config's state folder, each backend's
    table over the config's [<kind>] table, which must be there when the backend needs it."""
    table = check_athlete(raw, where)
    for kind in table.calendars:
        if registry.settings(kind).SHARED_REQUIRED and kind not in config.shared:
            raise ConfigError(
                f"{where}: a [{kind}] table is needed in {config.path} for "
                f"{registry.title(kind)} athletes"
            )
    return _athlete(table, where, (base, config.state_dir), config.shared, config.service)


def _athlete(
    table: AthleteTable,
    where: str,
    paths: tuple[Path, Path],
    shared: Mapping[str, Mapping[str, Any]],
    service: ServiceConfig,
) -> AthleteConfig:
    """The one way an athlete is built, from the file or the store: whatever an athlete takes
    from [service] is read here from the whole table, so the two cannot drift apart."""
    base, state = paths
    race_files, race_urls = _sources(table.races.ics, base)
    busy_files, busy_urls = _sources(table.busy.ics, base)
    runs_files, runs_urls = _sources(table.runs.ics, base)
    # A calendar of another app's runs means racecal places strength only (R6).
    runs_elsewhere = any(getattr(t, "runs", ()) for t in table.calendars.values())
    return AthleteConfig(
        athlete=Athlete(
            id=table.id,
            timezone=table.timezone,
            run_days=frozenset(table.run_days),
            long_run_day=table.long_run_day,
            windows=table.windows.by_day(),
            weekly_km=table.weekly_km,
            easy_pace_s_per_km=table.easy_pace,
            max_strength_per_week=table.max_strength_per_week,
            same_day_order=SameDayOrder(table.same_day_order),
            experienced=table.experienced,
            offseason_maintenance=table.offseason == "maintenance",
            runs_from_calendar=table.runs_from_calendar
            or bool(runs_files or runs_urls)
            or runs_elsewhere,
            recent_race_km=table.recent_race[0] if table.recent_race else None,
            recent_race_s=table.recent_race[1] if table.recent_race else None,
            units=Units(table.units),
            max_hr=table.max_hr,
            threshold_hr=table.threshold_hr,
            no_heavy_legs_on_long_run_day=table.no_heavy_legs_on_long_run_day,
            one_rep_max=_in_kg(table.one_rep_max.given(), Units(table.units)),
        ),
        race_ics=race_files,
        busy_ics=busy_files,
        output_ics=state / (table.output.ics or f"var/{table.id}-training.ics"),
        plan_weeks=table.plan_weeks,
        goal_s=table.goal,
        race_urls=race_urls,
        busy_urls=busy_urls,
        runs_ics=runs_files,
        runs_urls=runs_urls,
        run_kinds=tuple(override(p, k) for p, k in table.runs.kinds),
        cache_dir=state / "var" / "cache" / table.id,
        state_dir=state,
        public_url=service.public_url,
        secret_keys=(service.secret_key_file, service.secret_key_env),
        where=where,
        output_mode=0o600 if table.output.private else 0o644,
        life_markers=table.life.marker_table(),
        life_categories=table.life.category_table(),
        calendars={
            kind: {
                **shared.get(kind, {}),
                **resolved(own, paths, table.id),
                "where": f"{where}.{kind}",
            }
            for kind, own in table.calendars.items()
        },
    )


def _in_kg(lifts: tuple[tuple[str, float], ...], units: Units) -> tuple[tuple[str, float], ...]:
    """S8: the planner keeps 1RMs in kg; an imperial athlete gives them in lb."""
    if units is Units.IMPERIAL:
        return tuple((name, round(value / LB_PER_KG, 2)) for name, value in lifts)
    return lifts


def _sources(given: tuple[str, ...], base: Path) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """Local files (relative to the config) and http(s) URLs, in the order given."""
    urls = tuple(v for v in given if v.startswith(("http://", "https://")))
    return tuple(_local(base, v) for v in given if v not in urls), urls


def _local(base: Path, given: str) -> Path:
    """A file beside the config; the example config's examples/... calendars, when there are
    none beside it, are the ones installed with racecal, so the example config runs as a
    service copied alone to /etc/racecal. Only that folder: any other missing file stays the
    error it is."""
    path = base / given
    if not path.exists() and Path(given).parts[:1] == ("examples",):
        installed = INSTALLED_DATA / given
        if installed.is_file():
            return installed
    return path

"""`racecal init`: a few questions, then a commented config that loads.

Every question is also an option, so `racecal init --yes --backend caldav --caldav-url ...`
works in scripts; answers are checked as they are given (an unknown timezone is asked again).
"""

from __future__ import annotations

import getpass
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from pydantic_core import PydanticCustomError

from scheduler.paces import clock, race_name
from scheduler.races import parse_result
from service.config.fields import athlete_id, finish_time, pace
from service.config.load import load_config, user_config
from service.config.reader import WEEKDAYS, ConfigError

WINDOW = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def default_path() -> Path:
    return user_config(os.environ)


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"'{value}' is not an IANA timezone (e.g. Europe/Berlin)"
        ) from None
    return value


def _days(value: str) -> str:
    days = [d.strip().lower() for d in value.split(",") if d.strip()]
    if not 3 <= len(set(days)) <= 7 or any(d not in WEEKDAYS for d in days):
        raise click.BadParameter("3 to 7 of mon,tue,wed,thu,fri,sat,sun, comma-separated")
    return ",".join(days)


def _windows(value: str) -> str:
    """Checked as they are typed (the config would refuse them later, naming a key the person
    never saw): HH:MM-HH:MM, a real time of day, the end after the start."""
    items = [w.strip() for w in value.split(",") if w.strip()]
    for item in items:
        match = WINDOW.match(item)
        h1, m1, h2, m2 = (int(g) for g in match.groups()) if match else (99, 0, 0, 0)
        if max(h1, h2) > 23 or max(m1, m2) > 59 or (h2, m2) <= (h1, m1):
            raise click.BadParameter(
                f"'{item}': expected HH:MM-HH:MM within one day, the end after the start"
            )
    if not items:
        raise click.BadParameter('time windows like "06:00-07:30,17:30-21:00"')
    return ",".join(items)


def _result(value: str) -> str:
    """R7: a recent race as "10K 48:30"; empty for none. Written back as racecal read it, so
    the person sees what the paces will come from."""
    if not value.strip():
        return ""
    result = parse_result(value)
    if result is None:
        raise click.BadParameter(
            f"'{value}': a distance and a finish time, e.g. 10K 48:30 or half 1:44:10"
        )
    km, seconds = result
    name = race_name(km)
    distance = f"{km:g} km" if name.endswith(" km race") else name
    return f"{distance} {clock(seconds)}"


def _checked(
    kind: Callable[[object], object], then: Callable[[object], str] = str
) -> Callable[[str], str]:
    """A config kind's check at the prompt: its own message, asked again on the spot (the
    config would refuse the answer only after the last question)."""

    def check(value: str) -> str:
        try:
            return then(kind(value.strip()))
        except PydanticCustomError as exc:
            raise click.BadParameter(str(exc)) from None

    return check


def _km(value: str) -> str:
    try:
        km = float(value)
    except ValueError:
        km = -1.0
    if not 5 <= km <= 250:
        raise click.BadParameter(f"'{value}': your weekly km today, a number from 5 to 250")
    return f"{km:g}"


def _optional(check: Callable[[str], str]) -> Callable[[str], str]:
    return lambda value: check(value) if value.strip() else ""


_id = _checked(athlete_id)
_pace = _checked(pace, lambda seconds: f"{int(str(seconds)) // 60}:{int(str(seconds)) % 60:02d}")
_goal = _optional(_checked(finish_time, lambda seconds: clock(int(str(seconds)))))


class Refused(click.ClickException):
    """Bad input: one line on stderr and exit 2, as everywhere in racecal."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"racecal: {self.format_message()}", err=True)


def _system_zone() -> str:
    try:
        import tzlocal  # noqa: PLC0415 - comes with APScheduler

        name = str(tzlocal.get_localzone_name())
        return name if name and name != "localtime" else "UTC"
    except Exception:  # no system timezone configured: ask with UTC offered
        return "UTC"


def _ask(
    value: str | None, text: str, default: str, check: Callable[[str], str] | None, yes: bool
) -> str:
    if value is not None:
        try:
            return check(value) if check else value
        except click.BadParameter as exc:
            # Given as an option: one line and exit 2 (at the prompt it is asked again).
            raise Refused(exc.message) from None
    if yes:
        return default
    if check is None:
        return str(click.prompt(text, default=default))
    return str(click.prompt(text, default=default, value_proc=check))


def _q(value: str) -> str:
    """A TOML string. Answers are escaped, never pasted between quotes: a backslash in a path
    or a quote in a user name must neither break the file nor add keys to it."""
    return json.dumps(value, ensure_ascii=False)  # TOML basic strings take JSON's escapes


def _toml_list(csv: str) -> str:
    return "[" + ", ".join(_q(item.strip()) for item in csv.split(",") if item.strip()) + "]"


def _file(value: str, default: str | None = None) -> str:
    """A file as typed, written as the absolute path meant: ~ is the home folder (TOML has no
    shell to expand it) and a relative path is relative to the folder `init` runs in (in the
    config it would be relative to the config's folder, which the person did not mean). A URL,
    and a default left as offered (relative to the state folder), stay as they are."""
    if value == default or value.startswith(("http://", "https://")):
        return value
    return str(Path(value).expanduser().absolute())


@click.command("init", short_help="Write a commented config after a few questions.")
@click.option(
    "--path",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write (default: $XDG_CONFIG_HOME/racecal/config.toml).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--yes", is_flag=True, help="Take the default for every question not given.")
@click.option("--athlete", "athlete_id", help="Athlete id (default: your user name).")
@click.option("--timezone", help="IANA timezone (default: the system's).")
@click.option("--run-days", help="Run days, e.g. mon,tue,thu,sat,sun.")
@click.option("--long-run-day", help="One of the run days (default: sun).")
@click.option("--weekday-windows", help="e.g. 06:00-07:30,17:30-21:00")
@click.option("--weekend-windows", help="e.g. 07:00-12:00,16:00-19:00")
@click.option("--weekly-km", help="Your weekly running km today (default: 40).")
@click.option(
    "--recent-race", help='A recent race result, e.g. "10K 48:30": sets your paces (optional).'
)
@click.option("--easy-pace", help="Your easy pace, min:sec per km (default: 6:00).")
@click.option("--goal", help='The goal time for your next A race, e.g. "3:45:00" (optional).')
@click.option(
    "--backend", type=click.Choice(["ics", "caldav", "google"]), help="Where your calendars are."
)
@click.option("--races-ics", help="ics: your race calendar file or https URL.")
@click.option("--busy-ics", help="ics: your busy-time calendar file or URL (optional).")
@click.option("--caldav-url", help="caldav: the server's URL.")
@click.option("--caldav-username", help="caldav: your user name.")
@click.option("--output-ics", help="ics: the training calendar file racecal writes.")
@click.option("--caldav-password-env", help="caldav: the environment variable with the password.")
@click.option("--client-secrets", help="google: the OAuth client JSON file.")
@click.option("--race-calendars", help="caldav: names (Races); google: ids (primary).")
@click.option("--busy-calendars", help="caldav: names (Personal); google: ids (primary).")
@click.option("--training-calendar", help="caldav, google: where sessions go (Training).")
def init(
    path: Path | None,
    force: bool,
    yes: bool,
    athlete_id: str | None,
    timezone: str | None,
    run_days: str | None,
    long_run_day: str | None,
    weekday_windows: str | None,
    weekend_windows: str | None,
    recent_race: str | None,
    backend: str | None,
    races_ics: str | None,
    busy_ics: str | None,
    caldav_url: str | None,
    caldav_username: str | None,
    client_secrets: str | None,
    **settings: str | None,
) -> None:
    """Write a commented config after a few questions (or from the options given).

    \b
    Examples:
      racecal init
      racecal init --yes --timezone Europe/Berlin --backend caldav \\
        --caldav-url https://cloud.example.com/remote.php/dav --caldav-username alex \\
        --race-calendars Races --busy-calendars Work,Personal --training-calendar Training
      racecal init --yes --races-ics ~/calendars/races.ics --output-ics ~/public/training.ics

    Bad answers given as options exit 2 with one line; at the prompt they are asked again.
    """
    target = path or default_path()
    if target.exists() and not force:
        raise Refused(f"{target} exists; use --force to replace it")
    user = re.sub(r"[^a-z0-9_-]", "", getpass.getuser().lower()) or "athlete"
    athlete = _ask(athlete_id, "Athlete id", user, _id, yes)
    zone = _ask(timezone, "Timezone", _system_zone(), _timezone, yes)
    days = _ask(run_days, "Run days", "mon,tue,thu,sat,sun", _days, yes)

    def run_day(value: str) -> str:
        if value.strip().lower() not in days.split(","):
            raise click.BadParameter(f"long-run day '{value}' is not one of the run days ({days})")
        return value.strip().lower()

    long_day = _ask(long_run_day, "Long-run day", days.split(",")[-1], run_day, yes)
    weekdays = _ask(
        weekday_windows, "Weekday training windows", "06:00-07:30,17:30-21:00", _windows, yes
    )
    weekend = _ask(
        weekend_windows, "Weekend training windows", "07:00-12:00,16:00-19:00", _windows, yes
    )
    km = _ask(settings.pop("weekly_km", None), "Weekly running km today", "40", _km, yes)
    result = _ask(
        recent_race, "Recent race result, e.g. 10K 48:30 (empty for none)", "", _result, yes
    )
    # Without a result the easy pace sizes the paces (R7); with one it is not asked.
    easy = settings.pop("easy_pace", None)
    easy = (
        _ask(easy, "Easy pace, min:sec per km", "6:00", _pace, yes)
        if easy is not None or not result
        else "6:00"
    )
    goal = _ask(
        settings.pop("goal", None),
        "Goal time for your next A race (empty for none)",
        "",
        _goal,
        yes,
    )
    kind = backend or ("ics" if yes else click.prompt(
        "Calendar backend", type=click.Choice(["ics", "caldav", "google"]), default="ics"
    ))  # fmt: skip
    given = {
        **settings,
        "races_ics": races_ics,
        "busy_ics": busy_ics,
        "caldav_url": caldav_url,
        "caldav_username": caldav_username,
        "client_secrets": client_secrets,
    }
    head, sections = _backend(kind, given, athlete, yes)
    text = TEMPLATE.format(
        head=head,
        athlete=_q(athlete),
        zone=_q(zone),
        days=_toml_list(days),
        long=_q(long_day),
        weekdays=_toml_list(weekdays),
        weekend=_toml_list(weekend),
        recent_race=f"recent_race = {_q(result)}" if result else '# recent_race = "10K 48:30"',
        km=km,
        easy=_q(easy),
        goal=f"goal = {_q(goal)}" if goal else '# goal = "3:45:00"',
        sections=sections,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    draft = target.with_suffix(".toml.new")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    try:
        load_config(draft)
    except ConfigError as exc:
        draft.unlink()
        # Named as the file it would have been, not the draft.
        message = str(exc).replace(str(draft), str(target))
        raise Refused(f"the answers do not make a valid config: {message}") from None
    draft.replace(target)
    click.echo(f"racecal: wrote {target}")
    click.echo(f"  next: racecal plan show --config {target}")
    if kind == "google":
        click.echo(f"  then: racecal auth google --athlete {athlete} --config {target}")


def _backend(kind: str, given: dict[str, str | None], athlete: str, yes: bool) -> tuple[str, str]:
    """The backend's settings: (text before [[athletes]], the athlete's calendar tables)."""

    def ask(key: str, text: str, default: str, check: Callable[[str], str] | None = None) -> str:
        return _ask(given.get(key), text, default, check, yes)

    if kind == "ics":
        races = ask("races_ics", "Race calendar (.ics file or https URL)", "races.ics")
        busy = ask("busy_ics", "Busy-time calendar (empty for none)", "")
        offered = f"var/{athlete}-training.ics"
        output = ask("output_ics", "Training calendar file to write", offered)
        return "", (
            RACES_ICS.format(races=_q(_file(races)))
            + (BUSY_ICS.format(busy=_q(_file(busy))) if busy else "")
            + OUTPUT_ICS.format(output=_q(_file(output, offered)))
        )
    if kind == "caldav":
        url = ask("caldav_url", "CalDAV server URL", "https://cloud.example.com/remote.php/dav")
        name = ask("caldav_username", "CalDAV user name", athlete)
        variable = f"RACECAL_{athlete.upper().replace('-', '_')}_CALDAV"
        env = ask("caldav_password_env", "Environment variable with the password", variable, _env)
        return "", CALDAV.format(
            url=_q(url),
            user=_q(name),
            env=_q(env),
            races=_toml_list(ask("race_calendars", "Race calendars (names)", "Races")),
            busy=_toml_list(ask("busy_calendars", "Busy calendars (names, or empty)", "Personal")),
            training=_q(
                ask("training_calendar", "Training calendar (made when missing)", "Training")
            ),
        )
    secrets = ask("client_secrets", "OAuth client JSON", "client_secret.json")
    return GOOGLE_HEAD.format(secrets=_q(_file(secrets))), GOOGLE.format(
        races=_toml_list(ask("race_calendars", "Race calendar ids", "primary")),
        busy=_toml_list(ask("busy_calendars", "Busy calendar ids", "primary")),
        training=_q(ask("training_calendar", "Training calendar name", "Training")),
    )


def _env(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise click.BadParameter(f"'{value}' is not an environment variable name")
    return value


TEMPLATE = """# racecal config, written by `racecal init`. Every key is explained in the example
# config that ships with racecal (config.example.toml) and in the README.

[service]
database_url = "sqlite:///var/racecal.db"   # in the state folder (~/.local/state/racecal)
log_format = "text"                          # text | json
interval_minutes = 15                        # a pass this often
# http = "127.0.0.1:8765"                    # health, metrics and the plan page
{head}
[[athletes]]
id = {athlete}
timezone = {zone}              # sessions are placed on this wall clock
run_days = {days}   # 3-7 days (rule R1)
long_run_day = {long}             # one of run_days (rule R4)
weekly_km = {km}                 # your usual weekly running volume today (rule R5)
easy_pace = {easy}             # min:sec per km; sets the paces without a result or goal
{recent_race}   # a distance and a time: sets your paces (rule R7)
{goal}   # the goal for your next A race when its event names none (R7)
units = "metric"               # metric (min/km, kg) | imperial (min/mi, lb)
# threshold_hr = 168           # heart-rate ranges on every step (or max_hr = 188)
plan_weeks = 16                # how far ahead to plan

# When you can train, in local time; the preferred window first (rule L8).
[athletes.windows]
weekdays = {weekdays}
weekend = {weekend}
{sections}"""

RACES_ICS = """
# Race events: titles such as "Hamburg Marathon [A]", "Halbmarathon (B race)", "Parkrun 5K #C".
[athletes.races]
ics = [{races}]
"""
BUSY_ICS = """
# Busy time: timed, opaque events block placement (rule L5).
[athletes.busy]
ics = [{busy}]
"""
OUTPUT_ICS = """
# Where racecal writes the training calendar: import it, or serve it and subscribe.
[athletes.output]
ics = {output}
"""
CALDAV = """
# Your CalDAV server; the password comes from the environment variable named here.
[athletes.caldav]
url = {url}
username = {user}
password_env = {env}
races = {races}              # calendars by display name, path or URL
busy = {busy}
training = {training}          # created on the first pass when missing
"""
GOOGLE_HEAD = """
[google]
client_secrets = {secrets}   # a "Desktop app" OAuth client's JSON (see README)
"""
GOOGLE = """
# Then authorize once: racecal auth google --athlete <id>
[athletes.google]
races = {races}          # calendar ids; "primary" is your main calendar
busy = {busy}
training = {training}          # created by racecal
"""

"""`racecal ...`: the command line. Every failure is one line on stderr and a non-zero exit.

Exit codes: 0 ok; 1 the thing asked for does not exist (e.g. an unknown session key) or
`plan check` found a hard rule broken;
2 bad input (config, calendar file, planning input).

Each command lives in a module of its own, imported only when it runs: `racecal --help` pays
for click alone, `plan show` not for the daemon, the scheduler or the HTTP server. The
one-line help of each command is written here for the listing (tests hold it equal to the
command's own).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

# name -> (module:attribute, the one line `racecal --help` lists for it)
COMMANDS: dict[str, tuple[str, str]] = {
    "athlete": (
        "service.cli.athlete:athlete",
        "Add, change, list and remove the athletes racecal syncs.",
    ),
    "auth": ("service.cli.auth:auth", "Authorize racecal to use an athlete's calendar account."),
    "db": (
        "service.cli.running:db",
        "Manage the state store (SQLite by default, PostgreSQL by URL).",
    ),
    "doctor": (
        "service.cli.doctor:doctor",
        "Check the config, store, calendars, credentials and clock.",
    ),
    "feed": (
        "service.cli.feed:feed",
        "Each athlete's training calendar as a feed at a secret URL.",
    ),
    "init": ("service.cli.init:init", "Write a commented config after a few questions."),
    "plan": ("service.cli.plan:plan", "Look at the training plan built from your races."),
    "release": (
        "service.cli.plan:release",
        "Hand a session you changed or deleted back to racecal.",
    ),
    "run": (
        "service.cli.running:run",
        "Run the service: a pass now, every INTERVAL minutes, on saves.",
    ),
    "secrets": (
        "service.cli.keys:secrets_",
        "Make and rotate the keys that seal tokens in the store.",
    ),
    "status": (
        "service.cli.running:status",
        "Per athlete: last pass, races, sessions, your edits, last error.",
    ),
    "sync": (
        "service.cli.sync:sync_once",
        "One pass for every athlete: read races, plan, write what changed.",
    ),
    "worker": (
        "service.cli.worker:worker",
        "Run passes from the shared queue (executor procrastinate).",
    ),
    "workouts": (
        "service.cli.workouts:workouts",
        "The plan's sessions as FIT workout files for a watch.",
    ),
}


def load(name: str) -> click.Command:
    where, attribute = COMMANDS[name][0].split(":")
    command = getattr(importlib.import_module(where), attribute)
    assert isinstance(command, click.Command)
    return command


class _Lazy(click.Group):
    """A group whose commands are imported when one is run (or asked for its --help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_Lazy, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="racecal", prog_name="racecal")
def main(**_: Any) -> None:
    """racecal plans strength and run sessions back from the races in your calendar.

    \b
    Examples:
      racecal init                           a config from a few questions
      racecal athlete add sam --from sam.toml  another athlete, no restart
      racecal doctor                         check config, store, calendars, credentials
      racecal plan show                      the plan for the first athlete
      racecal plan show --json --weeks 4     machine-readable, four weeks
      racecal plan explain KEY               why a session is where it is
      racecal plan check                     every planning rule: ok or BROKEN
      racecal plan chart --out plan.png      weekly volume and strength load
      racecal workouts export --out DIR      FIT workout files for a watch
      racecal run                            the service

    \b
    Exit codes: 0 ok; 1 not found (an unknown session key), a doctor check failed or
    plan check found a hard rule broken;
    2 bad input (config, calendar file, planning input); 3 a sync pass failed.
    """

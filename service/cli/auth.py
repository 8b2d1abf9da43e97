"""`racecal auth google`: the installed-app OAuth flow for one athlete's Google Calendar."""

from __future__ import annotations

from pathlib import Path

import click

from service.cli.looking import everyone
from service.config.load import CONFIG_HELP
from service.config.reader import ConfigError


@click.group()
def auth() -> None:
    """Authorize racecal to use an athlete's calendar account."""


@auth.command("google")
@click.option("--athlete", "athlete_id", required=True, metavar="ID", help="The athlete's id.")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option(
    "--port",
    type=click.IntRange(1024, 65535),
    default=8976,
    show_default=True,
    help="Local port the browser is sent back to.",
)
def auth_google(athlete_id: str, config: str | None, port: int) -> None:
    """Let racecal read the athlete's events and manage its own training calendar.

    Asks for two scopes only: calendar.events.readonly (races, busy time) and
    calendar.app.created (the calendar racecal creates). The token is saved with mode 0600
    where [athletes.google] token_file says.

    \b
    On a headless server, forward the port from your own machine first:
      ssh -L 8976:localhost:8976 you@server
    then run this on the server and open the printed URL in your local browser.

    \b
    Example:
      racecal auth google --athlete alex --config /etc/racecal/config.toml
    """
    try:
        loaded = everyone(config)[0]
        entry = loaded.athlete(athlete_id)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    google = entry.calendars.get("google")
    if google is None or not google.get("client_secrets"):
        raise click.ClickException(
            f"{loaded.path}: athlete '{athlete_id}' needs an [athletes.google] table and "
            "[google] client_secrets (the OAuth client's JSON)"
        )
    try:
        from google_auth_oauthlib.flow import InstalledAppFlow  # noqa: PLC0415

        from connectors.google import SCOPES, save_token  # noqa: PLC0415
    except ImportError:
        raise click.ClickException(
            "Google support is not installed (pip install 'racecal[google]')"
        ) from None
    flow = InstalledAppFlow.from_client_secrets_file(
        str(google["client_secrets"]), scopes=list(SCOPES)
    )
    credentials = flow.run_local_server(
        host="localhost",
        port=port,
        open_browser=False,
        authorization_prompt_message=(
            "Open this URL in a browser on this machine (or through an SSH tunnel to port "
            f"{port}):\n{{url}}\n"
        ),
        success_message="racecal is authorized. You can close this tab.",
    )
    token_file = Path(google["token_file"])
    save_token(token_file, credentials.to_json())
    click.echo(f"racecal: {athlete_id}: authorized; token saved to {token_file}")

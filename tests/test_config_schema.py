"""The config schema: whatever a file holds, it loads or fails with one line
`<file>: <key path>: <what is wrong and what is expected>`; list items are named; an unknown
key lists the keys its table takes; a secret is never echoed."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.config.load import load_config
from service.config.reader import ConfigError

ROOT = Path(__file__).resolve().parent.parent
GOOD = (ROOT / "config.example.toml").read_text(encoding="utf-8")
CALDAV = """
[athletes.caldav]
url = "https://cloud.example.com/remote.php/dav"
username = "alex"
password_env = "RACECAL_ALEX_CALDAV"
races = ["Races"]
training = "Training"
"""
GOOGLE = GOOD.replace("[[athletes]]", '[google]\nclient_secrets = "c.json"\n\n[[athletes]]') + (
    '\n[athletes.google]\nraces = ["primary"]\n'
)
SECRET = "hunter2-s3cr3t"


def refused(path: Path, text: str, env: dict[str, str] | None = None) -> str:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={} if env is None else env)
    return str(err.value).removeprefix(f"{path}: ")


def test_a_password_in_a_url_without_a_scheme_is_not_echoed(tmp_path: Path) -> None:
    """The scheme was checked first and its message repeated the URL, password and all."""
    text = GOOD + CALDAV.replace(
        "https://cloud.example.com/remote.php/dav", f"alex:{SECRET}@cloud.example.com"
    )
    message = refused(tmp_path / "racecal.toml", text)
    assert message == "athletes[0].caldav.url: put the username in 'username', not in the URL"


def test_a_fraction_of_a_whole_number_is_refused_not_cut(tmp_path: Path) -> None:
    """max_strength_per_week = 2.5 quietly became 2, plan_weeks = 16.5 became 16."""
    text = GOOD.replace("max_strength_per_week = 3", "max_strength_per_week = 2.5")
    assert refused(tmp_path / "a.toml", text) == (
        "athletes[0].max_strength_per_week: expected a whole number from 1 to 3, got 2.5"
    )
    text = GOOD.replace("plan_weeks = 16", "plan_weeks = 16.5")
    assert refused(tmp_path / "b.toml", text) == (
        "athletes[0].plan_weeks: expected a whole number from 1 to 104, got 16.5"
    )
    path = tmp_path / "c.toml"
    path.write_text(GOOD.replace("plan_weeks = 16", "plan_weeks = 20.0"), encoding="utf-8")
    assert load_config(path).athletes[0].plan_weeks == 20


def test_a_pace_with_more_than_59_seconds_is_refused(tmp_path: Path) -> None:
    """ "5:75" was read as 6:15 per km."""
    text = GOOD.replace('easy_pace = "5:45"', 'easy_pace = "5:75"')
    assert refused(tmp_path / "racecal.toml", text) == (
        "athletes[0].easy_pace: '5:75': expected min:sec per km, e.g. \"5:45\""
    )


def test_a_bad_google_token_file_names_its_key(tmp_path: Path) -> None:
    """It was reported as `athletes[0].google.token_file.t`, a key nobody wrote."""
    assert refused(tmp_path / "racecal.toml", GOOGLE + "token_file = 3\n") == (
        "athletes[0].google.token_file: expected a file path, got 3"
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'run_days = ["mon", "tue", "thu", "sat", "sun"]',
            'run_days = ["mon", "tue", "thurs", "sat", "sun"]',
            "athletes[0].run_days[2]: 'thurs' is not a weekday; expected one of mon, tue, wed,",
        ),
        (
            'weekend = ["07:00-12:00", "16:00-19:00"]',
            'weekend = ["07:00-12:00", "16:00-24:00"]',
            "athletes[0].windows.weekend[1]: '16:00-24:00': expected HH:MM-HH:MM with the end",
        ),
        (
            'id = "alex"',
            "",
            "athletes[0].id: missing; expected an id of lowercase letters, digits, - and _",
        ),
        (
            'timezone = "Europe/Berlin"',
            "",
            "athletes[0].timezone: missing; expected an IANA timezone name, e.g. Europe/Berlin",
        ),
    ],
)
def test_list_items_and_missing_keys_are_named(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert refused(tmp_path / "racecal.toml", GOOD.replace(old, new)).startswith(message)


def unknown(after: str, key: str, base: str = GOOD) -> str:
    assert after in base
    return base.replace(after, f"{after}\n{key} = 1", 1)


@pytest.mark.parametrize(
    ("text", "where", "a_key_it_takes"),
    [
        (unknown('log_format = "text"', "port"), "service.port", "interval_minutes"),
        (unknown('client_secrets = "c.json"', "key", GOOGLE), "google.key", "token_uri"),
        (unknown("plan_weeks = 16", "name"), "athletes[0].name", "weekly_km"),
        (unknown('weekend = ["07:00-12:00", "16:00-19:00"]', "weekends"),
         "athletes[0].windows.weekends", "wed"),
        (unknown('ics = ["examples/busy.ics"]', "url"), "athletes[0].busy.url", "ics"),
        (GOOD + CALDAV + "sync = 1\n", "athletes[0].caldav.sync", "create_training"),
        (GOOGLE + "calendar = 1\n", "athletes[0].google.calendar", "training_id"),
        (GOOD + "\n[extra]\n", "extra", "athletes"),
    ],
)  # fmt: skip
def test_an_unknown_key_lists_the_keys_its_table_takes(
    tmp_path: Path, text: str, where: str, a_key_it_takes: str
) -> None:
    message = refused(tmp_path / "racecal.toml", text)
    assert message.startswith(f"{where}: unknown key; expected one of ")
    allowed = message.split("expected one of ")[1].split(", ")
    assert a_key_it_takes in allowed
    assert allowed == sorted(allowed)


def test_an_empty_google_table_is_no_google_table(tmp_path: Path) -> None:
    text = GOOGLE.replace('client_secrets = "c.json"\n', "")
    assert refused(tmp_path / "racecal.toml", text) == (
        "google: a [google] table is needed for Google athletes"
    )
    path = tmp_path / "ok.toml"
    path.write_text(GOOGLE, encoding="utf-8")
    entry = load_config(path, env={}).athletes[0]
    google = entry.calendars["google"]
    assert google["token_file"] == tmp_path / "var" / "tokens" / "alex-google.json"
    assert google["races"] == google["busy"] == ("primary",)
    # The [google] table's keys reach every Google athlete's table.
    assert google["client_secrets"] == tmp_path / "c.json"


# What hypothesis writes into a file: TOML values of every kind, and keys shaped like ours.
KEYS = st.from_regex(r"[a-z_]{1,12}", fullmatch=True)
TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=20)
SCALARS = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
    | st.sampled_from(["mon", "sun", "06:00-07:30", "5:45", "https://x.example/", "Europe/Berlin"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)


def toml(value: Any) -> str:
    """One line of TOML (inline tables), so any document hypothesis makes can be written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # TOML basic strings take JSON's escapes
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml(v)}" for k, v in value.items()) + "}"


def tables(doc: dict[str, Any], where: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [where]
    for key, value in doc.items():
        if isinstance(value, dict):
            found += tables(value, (*where, key))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                found += tables(item, (*where, key, i))
    return found


BASES = [tomllib.loads(t) for t in (GOOD, GOOD + CALDAV, GOOGLE)]
ONE_LINE = re.compile(r"(RACECAL_[A-Z_]+ \()?[a-z_]+(\[\d+\])?(\.[a-z_]+(\[\d+\])?)*\)?: \S.*")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_file_loads_or_fails_with_one_line(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    doc = json.loads(json.dumps(data.draw(st.sampled_from(BASES))))
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(tables(doc)))
        table = doc
        for part in where:
            table = table[part]
        known = st.sampled_from(sorted(table) or ["id"])
        key = data.draw(st.one_of(known, known, known, KEYS, st.just("password")))
        if data.draw(st.booleans()) and key in table:
            del table[key]
        else:
            table[key] = data.draw(VALUES | st.just(SECRET))
    env = data.draw(
        st.dictionaries(
            st.sampled_from(["RACECAL_LOG_FORMAT", "RACECAL_INTERVAL_MINUTES", "RACECAL_HTTP"]),
            TEXT | st.just(SECRET),
            max_size=2,
        )
    )
    path = tmp_path_factory.mktemp("cfg") / "racecal.toml"
    path.write_text("\n".join(f"{json.dumps(k)} = {toml(v)}" for k, v in doc.items()), "utf-8")
    try:
        load_config(path, env=env)
    except ConfigError as exc:
        text = str(exc)
        assert text.startswith(f"{path}: ")
        assert ONE_LINE.fullmatch(text.removeprefix(f"{path}: ")), text
        if "password: " in text:
            assert SECRET not in text

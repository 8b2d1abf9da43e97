"""Each backend declares its own config table, and the service takes it as declared: a new
calendar service is one package (its account and its `settings`) and one line in the
registry, with no change to the config, the sync or the CLI; a backend's table is read even
where its extra is not installed, and only opening it asks for the extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors import registry
from service.calendars import tables, training_target
from service.config.load import load_config
from service.config.reader import ConfigError
from service.store.database import Store
from service.sync.engine import run_pass
from tests.support import example_workspace

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))

# A calendar service racecal has never heard of: its sessions live in memory, per table name.
ACCOUNT = """
from connectors.memory import MemoryCalendar

CALENDARS = {}


class Notebook:
    def __init__(self, table, context):
        self.table = table
        self.context = context

    def sources(self, role):
        return []

    def training(self):
        return CALENDARS.setdefault(self.table["name"], MemoryCalendar(self.table["name"]))

    def close(self):
        pass


def open_account(table, context):
    return Notebook(table, context)
"""

SETTINGS = """
from connectors.settings import InputFile, Table, Text

SHARED_REQUIRED = False
Shared = None


class Athlete(Table):
    name: Text
    cover: InputFile | None = None


def training(table):
    return f"notebook '{table['name']}'"
"""


@pytest.fixture
def notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    package = tmp_path / "lib" / "notebook_backend"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(ACCOUNT), encoding="utf-8")
    (package / "settings.py").write_text(textwrap.dedent(SETTINGS), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    # The one line a new backend adds to the registry.
    monkeypatch.setitem(
        registry.BACKENDS, "notebook", registry.Backend("notebook_backend", "Notebook")
    )
    import notebook_backend  # type: ignore[import-not-found]  # noqa: PLC0415

    return notebook_backend


def with_table(base: Path, table: str) -> Path:
    path = example_workspace(base)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(table)
    return path


def test_a_new_backend_needs_no_service_code(tmp_path: Path, notebook: object) -> None:
    path = with_table(tmp_path / "ws", '\n[athletes.notebook]\nname = "plan"\ncover = "c.png"\n')
    entry = load_config(path).athletes[0]
    table = entry.calendars["notebook"]
    assert table["cover"] == tmp_path / "ws" / "c.png"
    assert table["where"] == f"{path}: athletes[0].notebook"
    assert training_target(entry) == "notebook 'plan'"
    # The .ics output is not written once another backend holds the training calendar.
    assert tables(entry)["ics"]["output"] is None

    store = Store.open("sqlite:///var/racecal.db", tmp_path / "ws")
    store.upgrade()
    result = run_pass(store, entry, NOW)
    assert result.error is None, result.error
    held = notebook.CALENDARS["plan"]  # type: ignore[attr-defined]
    assert result.created > 0
    assert len(held.changes(None).events) == result.created
    assert not entry.output_ics.exists()
    assert run_pass(store, entry, NOW).writes == 0


def test_a_new_backends_table_is_checked_as_it_declares(tmp_path: Path, notebook: object) -> None:
    path = with_table(tmp_path, '\n[athletes.notebook]\nname = "plan"\ncolour = 1\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}: athletes[0].notebook.colour: unknown key; expected one of cover, name"
    )
    path.write_text(path.read_text().replace('name = "plan"\ncolour = 1\n', ""))
    with pytest.raises(ConfigError, match=r"athletes\[0\]\.notebook\.name: missing"):
        load_config(path)


def test_unknown_keys_name_every_backend_table(tmp_path: Path) -> None:
    path = with_table(tmp_path, "\n[athletes.outlook]\nname = 1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "athletes[0].outlook: unknown key; expected one of" in str(caught.value)
    assert ", caldav," in str(caught.value)
    assert ", google," in str(caught.value)
    assert "calendars" not in str(caught.value)


# Run where the caldav and Google libraries cannot be imported, as on an install without the
# extras: the config still loads, and a pass says which extra to install, in one line.
WITHOUT_EXTRAS = """
import importlib.abc, sys

class NoExtras(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {"caldav", "googleapiclient", "google_auth_httplib2"}:
            raise ImportError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NoExtras())
from pathlib import Path
from connectors.base import SourceError
from service.calendars import AthleteCalendars
from service.config.load import load_config

entry = load_config(Path(sys.argv[1])).athletes[0]
print(sorted(entry.calendars))
try:
    AthleteCalendars(entry).training()
except SourceError as exc:
    print(exc)
"""


def test_a_backend_table_loads_without_its_extra(tmp_path: Path) -> None:
    path = with_table(
        tmp_path,
        '\n[athletes.caldav]\nurl = "https://dav.example.com/"\ntraining = "Training"\n',
    )
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS, str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "['caldav']",
        f"{path}: athletes[0].caldav: CalDAV support is not installed "
        "(pip install 'racecal[caldav]')",
    ]

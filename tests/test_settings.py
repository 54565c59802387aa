"""Configuration from TOREKES_ environment variables; safe defaults; refusal in production."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

import torekes.app
from torekes.settings import DEFAULT_SECRET_KEY, Environment, Settings, load_settings

LONG_SECRET = "a-production-secret-of-forty-characters!"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TOREKES_ variable from the caller's shell, and no ``.env`` file in the working dir."""
    for name in list(os.environ):
        if name.startswith("TOREKES_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_run_a_development_service_on_sqlite() -> None:
    settings = load_settings()
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.database_url.startswith("sqlite:///")
    assert settings.is_sqlite
    assert settings.secret_key == DEFAULT_SECRET_KEY


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOREKES_DATABASE_URL", "postgresql+psycopg://u@db.example/torekes")
    monkeypatch.setenv("TOREKES_SECRET_KEY", LONG_SECRET)
    monkeypatch.setenv("TOREKES_PUBLIC_BASE_URL", "https://torekes.example")
    monkeypatch.setenv("TOREKES_TOKEN_LIFETIME_DAYS", "7")
    monkeypatch.setenv("TOREKES_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("TOREKES_LOGIN_WINDOW_SECONDS", "60")
    monkeypatch.setenv("TOREKES_ENVIRONMENT", "production")
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://u@db.example/torekes"
    assert not settings.is_sqlite
    assert settings.secret_key == LONG_SECRET
    assert settings.public_base_url == "https://torekes.example"
    assert settings.token_lifetime_days == 7
    assert settings.login_max_failures == 3
    assert settings.login_window_seconds == 60
    assert settings.environment is Environment.PRODUCTION


def test_variables_without_the_prefix_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@elsewhere/db")
    assert load_settings().is_sqlite


def test_explicit_overrides_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOREKES_TOKEN_LIFETIME_DAYS", "7")
    assert load_settings(token_lifetime_days=9).token_lifetime_days == 9


def test_a_dotenv_file_is_read_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "TOREKES_PUBLIC_BASE_URL=https://from-dotenv.example\nTOREKES_TOKEN_LIFETIME_DAYS=5\n"
    )
    monkeypatch.setenv("TOREKES_TOKEN_LIFETIME_DAYS", "8")
    settings = load_settings()
    assert settings.public_base_url == "https://from-dotenv.example"
    assert settings.token_lifetime_days == 8


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TOREKES_ENVIRONMENT", "bogus"),
        ("TOREKES_TOKEN_LIFETIME_DAYS", "0"),
        ("TOREKES_TOKEN_LIFETIME_DAYS", "many"),
        ("TOREKES_LOGIN_MAX_FAILURES", "0"),
    ],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        load_settings()


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOREKES_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="TOREKES_SECRET_KEY"):
        load_settings()
    monkeypatch.setenv("TOREKES_SECRET_KEY", DEFAULT_SECRET_KEY)
    with pytest.raises(ValidationError, match="TOREKES_SECRET_KEY"):
        load_settings()


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOREKES_ENVIRONMENT", "production")
    monkeypatch.setenv("TOREKES_PUBLIC_BASE_URL", "https://torekes.example")


@pytest.mark.usefixtures("production")
@pytest.mark.parametrize("secret", ["short", "x" * 31])
def test_production_refuses_a_short_secret(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    monkeypatch.setenv("TOREKES_SECRET_KEY", secret)
    with pytest.raises(ValidationError, match="at least 32 characters"):
        load_settings()


@pytest.mark.usefixtures("production")
@pytest.mark.parametrize(
    "secret",
    [
        "x" * 32,
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "password" * 4,
        "0123456789" * 4,
        "ab" * 20,
    ],
)
def test_production_refuses_a_long_secret_with_little_entropy(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("TOREKES_SECRET_KEY", secret)
    with pytest.raises(ValidationError, match="too regular"):
        load_settings()


@pytest.mark.usefixtures("production")
@pytest.mark.parametrize(
    "secret",
    [
        LONG_SECRET,
        "kM3xq0V_7bRZtW2n-cJ9eLpA5yHsUfD8gQoT1iXvN4wE6rBaYzKlC",  # secrets.token_urlsafe(40)
        "9f2c4e7a1b8d3f6e0a5c2b9d4e7f1a3c8b6d0e2f5a9c1b7d3e8f4a6c0b2d9e5f",  # secrets.token_hex(32)
    ],
)
def test_production_accepts_a_random_secret(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    monkeypatch.setenv("TOREKES_SECRET_KEY", secret)
    settings = load_settings()
    assert settings.environment is Environment.PRODUCTION
    assert settings.secret_key == secret


@pytest.mark.usefixtures("production")
@pytest.mark.parametrize("pepper", ["abc", "x" * 40, "pepper" * 6])
def test_production_refuses_a_weak_card_key(monkeypatch: pytest.MonkeyPatch, pepper: str) -> None:
    monkeypatch.setenv("TOREKES_SECRET_KEY", LONG_SECRET)
    monkeypatch.setenv("TOREKES_PIN_PEPPER", pepper)
    with pytest.raises(ValidationError, match="TOREKES_PIN_PEPPER"):
        load_settings()
    monkeypatch.setenv(
        "TOREKES_PIN_PEPPER", "kM3xq0V_7bRZtW2n-cJ9eLpA5yHsUfD8gQoT1iXvN4wE6rBaYzKlC"
    )
    assert load_settings().pin_pepper


def test_production_refuses_a_public_url_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOREKES_ENVIRONMENT", "production")
    monkeypatch.setenv("TOREKES_SECRET_KEY", LONG_SECRET)
    monkeypatch.setenv("TOREKES_PUBLIC_BASE_URL", "http://torekes.example")
    with pytest.raises(ValidationError, match="TOREKES_PUBLIC_BASE_URL must be https"):
        load_settings()
    monkeypatch.setenv("TOREKES_ALLOW_HTTP", "true")
    lab = load_settings()
    assert lab.public_base_url == "http://torekes.example"
    assert not lab.uses_https


def test_development_serves_over_http_without_being_told() -> None:
    assert load_settings(public_base_url="http://192.168.1.20:8000").allow_http is False


def test_the_api_documentation_is_off_in_production_unless_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().api_docs_in_use
    assert not load_settings(api_docs=False).api_docs_in_use
    monkeypatch.setenv("TOREKES_ENVIRONMENT", "production")
    monkeypatch.setenv("TOREKES_SECRET_KEY", LONG_SECRET)
    monkeypatch.setenv("TOREKES_PUBLIC_BASE_URL", "https://torekes.example")
    assert not load_settings().api_docs_in_use
    monkeypatch.setenv("TOREKES_API_DOCS", "true")
    assert load_settings().api_docs_in_use


def test_development_accepts_a_short_secret() -> None:
    assert Settings(secret_key="short").secret_key == "short"


def test_importing_the_app_reads_no_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOREKES_ENVIRONMENT", "bogus")
    module = importlib.reload(torekes.app)
    with pytest.raises(ValidationError):
        module.create_app()


def test_the_app_factory_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'factory.db'}"
    monkeypatch.setenv("TOREKES_DATABASE_URL", url)
    app = torekes.app.create_app()
    try:
        assert app.state.settings.database_url == url
        assert app.state.db.url == url
    finally:
        app.state.db.dispose()


def test_importing_every_module_reads_no_settings(tmp_path: Path) -> None:
    """In a fresh interpreter, with settings that cannot load, every module still imports."""
    script = (
        "import importlib, pkgutil, torekes\n"
        "for module in pkgutil.walk_packages(torekes.__path__, 'torekes.'):\n"
        "    importlib.import_module(module.name)\n"
        "import torekes.cli\n"
        "print('imported')\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOREKES_")}
    env.update(TOREKES_ENVIRONMENT="bogus", TOREKES_DATABASE_URL="not a url")
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "imported"

"""Production settings refuse to start with development defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
GOOD_KEY = "k" * 50


def start_production(**environment) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "DJANGO_ALLOWED_HOSTS": "weft.example.com",
    } | environment
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("environment", "complaint"),
    [
        ({"DATABASE_URL": "postgres://x@127.0.0.1/weft"}, "DJANGO_SECRET_KEY"),
        (
            {"DJANGO_SECRET_KEY": "short", "DATABASE_URL": "postgres://x@127.0.0.1/weft"},
            "DJANGO_SECRET_KEY",
        ),
        (
            {
                "DJANGO_SECRET_KEY": GOOD_KEY,
                "DJANGO_DEBUG": "true",
                "DATABASE_URL": "postgres://x@127.0.0.1/weft",
            },
            "DJANGO_DEBUG",
        ),
        ({"DJANGO_SECRET_KEY": GOOD_KEY}, "PostgreSQL"),
    ],
)
def test_production_refuses_development_defaults(environment, complaint):
    result = start_production(**environment)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and complaint in result.stderr


def test_production_starts_when_configured():
    result = start_production(
        DJANGO_SECRET_KEY=GOOD_KEY, DATABASE_URL="postgres://x@127.0.0.1/weft"
    )
    assert result.returncode == 0, result.stderr

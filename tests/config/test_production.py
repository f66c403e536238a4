"""The production layout: deploy checks clean, every task on a queue a Procfile worker consumes."""

import json
import multiprocessing
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent.parent

# What a real deployment sets: a long random key, PostgreSQL, Redis and the hosts it serves.
DEPLOYMENT_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x7Gq2LmP9vR4tY8wZ1bN6cD3fH5jK0sA-uE_oI2pQ7rT9vW4yX6zB8nM1lK3jH5g",
    "DATABASE_URL": "postgres://weft@db.internal:5432/weft",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "DJANGO_ALLOWED_HOSTS": "weft.example.com",
}


def deployment_environment(**overrides) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))
    }
    env |= DEPLOYMENT_ENV
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def procfile_processes() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))


def consumed_queues() -> set[str]:
    queues = set()
    for command in procfile_processes().values():
        match = re.search(r"--queues\s+(\S+)", command)
        if match:
            queues.update(match.group(1).split(","))
    return queues


def test_check_deploy_is_clean_with_a_real_deployments_environment():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=deployment_environment(),
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_allowed_hosts():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=deployment_environment(DJANGO_ALLOWED_HOSTS=None),
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_procfile_runs_web_a_worker_per_queue_and_beat():
    processes = procfile_processes()

    assert processes["web"].strip().startswith("gunicorn config.wsgi:application")
    assert "beat" in processes["beat"]
    assert {"inbound", "outbound", "planning", "default"} <= consumed_queues()


def test_gunicorn_workers_follow_the_core_count(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    config = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    assert config["workers"] == multiprocessing.cpu_count() * 2 + 1

    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(ROOT / "config" / "gunicorn.py"))["workers"] == 3


def queue_of(task_name: str) -> str:
    route = celery_app.amqp.router.route({}, task_name)
    return route["queue"].name


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("integrations.tasks.inbox.drain_inbox", "inbound"),
        ("integrations.tasks.inbox.process_inbound_messages", "inbound"),
        ("execution.tasks.poll_inventory_snapshot", "inbound"),
        ("integrations.tasks.delivery.deliver_outbound_message", "outbound"),
        ("procurement.tasks.send_purchase_order_mail", "outbound"),
        ("planning.tasks.any_planning_task", "planning"),
        ("integrations.tasks.outbox.dispatch_event", "default"),
    ],
)
def test_tasks_are_routed_to_the_queue_of_their_kind(task_name, queue):
    assert queue_of(task_name) == queue


def test_every_registered_task_lands_on_a_queue_a_procfile_worker_consumes():
    celery_app.loader.import_default_modules()
    ours = sorted(name for name in celery_app.tasks if not name.startswith("celery."))
    assert len(ours) > 5

    unconsumed = {name: queue_of(name) for name in ours if queue_of(name) not in consumed_queues()}

    assert unconsumed == {}


def test_beat_entries_name_queues_a_worker_consumes():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        queue = entry.get("options", {}).get("queue") or queue_of(entry["task"])
        assert queue in consumed_queues(), name


def test_production_logs_json_from_web_and_workers_alike():
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.LOGGING['handlers']['console']['formatter'], "
        "s.CELERY_WORKER_HIJACK_ROOT_LOGGER, s.CACHES['default']['BACKEND']]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=deployment_environment(),
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    formatter, hijack, cache = json.loads(result.stdout)
    assert formatter == "json"
    assert hijack is False
    assert cache == "django.core.cache.backends.redis.RedisCache"

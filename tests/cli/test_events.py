"""``wellness events setup``: the Pub/Sub resources, created once and found the second time."""

from __future__ import annotations

import secrets

import pytest

from tests import emulators
from tests.cli.conftest import Cli


def test_setup_creates_the_pubsub_resources_then_finds_them(
    cli: Cli, pubsub_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suffix = secrets.token_hex(4)
    for name, value in {
        "WELLNESS_EVENT_BACKEND": "pubsub",
        "GOOGLE_CLOUD_PROJECT": emulators.PROJECT,
        "WELLNESS_PUBSUB_TOPIC": f"cli-events-{suffix}",
        "WELLNESS_PUBSUB_SUBSCRIPTION": f"cli-workers-{suffix}",
        "WELLNESS_PUBSUB_DEAD_LETTER_TOPIC": f"cli-dead-{suffix}",
    }.items():
        monkeypatch.setenv(name, value)
    first = cli("events", "setup")
    assert first.exit_code == 0, first.output
    project = f"projects/{emulators.PROJECT}"
    assert f"topic {project}/topics/cli-events-{suffix}: created" in first.output
    assert f"topic {project}/topics/cli-dead-{suffix}: created" in first.output
    assert f"subscription {project}/subscriptions/cli-dead-{suffix}-inspect: created" in first.output
    assert f"subscription {project}/subscriptions/cli-workers-{suffix}: created" in first.output
    second = cli("events", "setup")
    assert second.exit_code == 0, second.output
    assert second.output.count("already existed") == 4
    assert "created" not in second.output


def test_setup_without_a_project_says_which_setting(
    cli: Cli, pubsub_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WELLNESS_EVENT_BACKEND", "pubsub")
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT")
    monkeypatch.delenv("WELLNESS_GOOGLE_CLOUD_PROJECT", raising=False)
    result = cli("events", "setup")
    assert result.exit_code == 1
    assert "GOOGLE_CLOUD_PROJECT" in result.output


def test_setup_on_the_postgres_bus_has_nothing_to_do(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WELLNESS_EVENT_BACKEND", "postgres")
    result = cli("events", "setup")
    assert result.exit_code == 0, result.output
    assert "nothing to set up" in result.output

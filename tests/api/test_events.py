"""The admin view of the event system: counters, queue depth, dead letters, and replaying one."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.world import World


def test_admins_see_the_queue_and_the_dead_letters(api: Api, world: World) -> None:
    answer = api.client.get("/api/v1/admin/events", headers=world.headers("admin"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["dead"] == 1
    [dead] = body["dead_letters"]
    assert (dead["id"], dead["type"], dead["error"]) == (
        world.dead_letter,
        "company.created",
        "RuntimeError: a handler that failed",
    )
    assert body["outbox"] >= 1  # the world's own writes, not yet relayed
    assert set(body) >= {"counters", "pending", "in_flight", "oldest_pending_s"}


def test_a_replayed_dead_letter_is_pending_again(api: Api, world: World) -> None:
    url = f"/api/v1/admin/events/dead-letters/{world.dead_letter}/replay"
    assert api.client.post(url, headers=world.headers("admin")).status_code == 204
    body = api.client.get("/api/v1/admin/events", headers=world.headers("admin")).json()
    assert (body["dead"], body["pending"]) == (0, 1)
    again = api.client.post(url, headers=world.headers("admin"))
    assert again.status_code == 404
    assert "No dead letter" in again.json()["error"]["message"]


def test_a_replay_of_something_that_is_no_uuid_is_a_422(api: Api, world: World) -> None:
    answer = api.client.post(
        "/api/v1/admin/events/dead-letters/1;DROP/replay", headers=world.headers("admin")
    )
    assert answer.status_code == 422

"""With REDIS_URL the queue is Redis (production); checked against the local server when one answers."""

import os
from typing import Any

import pytest

from marketplace import jobs

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_huey(monkeypatch: pytest.MonkeyPatch) -> Any:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:
        pytest.skip(f"no Redis at {REDIS_URL} ({exc.__class__.__name__}); .ci/run's machine has one on 6379")
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("JOBS_IMMEDIATE", "0")
    monkeypatch.setenv("JOBS_QUEUE_NAME", f"srx-test-{os.getpid()}")
    huey = jobs.make_huey()
    huey.flush()
    yield huey
    huey.flush()


def test_redis_is_the_queue_when_redis_url_is_set(redis_huey: Any) -> None:
    from huey import RedisHuey

    assert isinstance(redis_huey, RedisHuey)
    seen: list[int] = []

    @redis_huey.task()
    def remember(n: int) -> None:
        seen.append(n)

    remember(7)
    remember(8)
    assert redis_huey.pending_count() == 2 and seen == []  # queued in Redis, not run
    while (task := redis_huey.dequeue()) is not None:  # what the consumer does
        redis_huey.execute(task)
    assert seen == [7, 8] and redis_huey.pending_count() == 0

"""Finding 3: the login's time revealed whether an e-mail address has an account (98 ms against 608 ms).

An unknown address is now checked against a dummy hash of the same method and cost as a real one.
"""

import statistics
import time
from typing import Any

from sqlmodel import Session
from werkzeug.security import generate_password_hash

from marketplace import create_app
from marketplace.models import User
from marketplace.services.auth import dummy_hash

# Costly enough that the hash dominates the request (as scrypt does in production), cheap enough for CI.
METHOD = "pbkdf2:sha256:200000"
TRIES = 21
ROUNDS = 3


def test_dummy_hash_has_the_configured_method_and_cost() -> None:
    assert dummy_hash(METHOD).startswith("pbkdf2:sha256:200000$")
    assert dummy_hash("scrypt:32768:8:1").startswith("scrypt:32768:8:1$")


def test_unknown_and_known_addresses_take_the_same_time(app_config: dict[str, Any]) -> None:
    app = create_app(
        {
            **app_config,
            "PASSWORD_HASH_METHOD": METHOD,
            "LOGIN_MAX_FAILURES": 10_000,
            "LOGIN_CLIENT_MAX_FAILURES": 10_000,
        }
    )
    with Session(app.extensions["srx.engine"]) as session:
        session.add(
            User(
                email="known@test.nl",
                role="company",
                password_hash=generate_password_hash("right-password-1", method=METHOD),
            )
        )
        session.commit()
    client = app.test_client()

    def timed(email: str) -> float:
        start = time.perf_counter()
        response = client.post("/login", data={"email": email, "password": "wrong-password"})
        elapsed = time.perf_counter() - start
        assert response.status_code == 401
        return elapsed

    timed("known@test.nl"), timed("nobody@test.nl")  # warm up
    # A leak is large and the same every time (the finding: 98 ms against 608 ms); a shared machine's noise is
    # neither. So a round that stays within 10% passes, and only three rounds in a row beyond it fail.
    rounds: list[tuple[float, float, float]] = []
    for round_no in range(ROUNDS):
        known: list[float] = []
        unknown: list[float] = []
        for i in range(TRIES):  # interleaved, so a busy machine slows both alike
            known.append(timed("known@test.nl"))
            unknown.append(timed(f"nobody{round_no}-{i}@test.nl"))
        k, u = statistics.median(known), statistics.median(unknown)
        difference = abs(k - u) / max(k, u)
        print(f"median known {k * 1000:.1f} ms, unknown {u * 1000:.1f} ms, difference {difference:.1%}")
        rounds.append((k, u, difference))
        if difference < 0.10:
            break
    app.extensions["srx.engine"].dispose()
    assert rounds[-1][2] < 0.10, rounds

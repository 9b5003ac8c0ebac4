"""Finding 9: users could not change or reset their password, and `1234567890` passed the only rule.

/account/password changes it (current password, the new one twice, the strength check); /password/forgot
sends a signed, single-use, expiring link by mail (the same answer whether the address exists or not,
rate-limited); /password/reset/<token> sets the new one.
"""

import re
from typing import Any

import pytest

from marketplace import create_app, mail
from marketplace.passwords import common_passwords, weakness
from marketplace.services.accounts import reset_token
from tests.conftest import PASSWORD, World, login

NEW = "paarse-olifant-fietst-door"


@pytest.fixture
def app(app_config: dict[str, Any]) -> Any:
    app = create_app({**app_config, "MAIL_URL": "memory://", "SERVER_NAME": "srx.test"})
    mail.outbox.clear()
    yield app
    app.extensions["srx.engine"].dispose()


def forgot(client: Any, email: str, **kw: Any) -> Any:
    """Ask for a reset link; the mail goes out when the server closes the response, as a WSGI server does."""
    response = client.post("/password/forgot", data={"email": email}, **kw)
    response.close()
    return response


def link_in_mail() -> str:
    assert len(mail.outbox) == 1, mail.outbox
    body = mail.outbox[0].get_content()
    found = re.search(r"http://srx.test(/password/reset/\S+)", body)
    assert found is not None, body
    return found.group(1)


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("1234567890", True),
        ("password123", True),
        ("Welkom2026!", True),
        ("qwertyuiop", True),
        ("aaaaaaaaaaaa", True),
        ("kort", True),
        ("bouw-a-2026", True),  # contains the e-mail address's name
        (NEW, False),
        ("demo-company-2026", False),
    ],
)
def test_the_strength_check(password: str, refused: bool) -> None:
    assert (weakness(password, email="bouw-a@test.nl") is not None) == refused


def test_the_common_passwords_ship_with_the_package() -> None:
    common = common_passwords()
    assert len(common) >= 9_900 and "1234567890" in common and "wachtwoord" in common


def test_change_password(client: Any, world: World) -> None:
    user = world.users["company_a"]
    login(client, user)
    assert "Change your password" in client.get("/account/password").get_data(as_text=True)
    response = client.post("/account/password", data={"current": PASSWORD, "new": NEW, "confirm": NEW})
    assert response.status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 401
    assert client.post("/login", data={"email": user.email, "password": NEW}).status_code == 302


def test_change_password_shows_every_error_at_once(client: Any, world: World) -> None:
    login(client, world.users["company_a"])
    response = client.post(
        "/account/password", data={"current": "wrong", "new": "1234567890", "confirm": "x"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    # The current password is checked first; the form keeps no password in its fields.
    assert "This is not your current password" in html and 'value="wrong"' not in html
    response = client.post(
        "/account/password", data={"current": PASSWORD, "new": "1234567890", "confirm": "x"}
    )
    assert "one of the most common passwords" in response.get_data(as_text=True)
    response = client.post("/account/password", data={"current": PASSWORD, "new": NEW, "confirm": NEW + "x"})
    assert "The two new passwords are not the same" in response.get_data(as_text=True)
    response = client.post("/account/password", data={})
    assert response.get_data(as_text=True).count("This field is required") >= 3


def test_admin_cannot_create_a_user_with_a_common_password(client: Any, login_as: Any, world: World) -> None:
    login_as(world.users["admin"])
    response = client.post(
        "/admin/users/new",
        data={"email": "nieuw@aastad.nl", "role": "admin", "password": "1234567890", "locale": "nl"},
    )
    assert response.status_code == 400 and "most common passwords" in response.get_data(as_text=True)


def test_reset_by_mail(client: Any, world: World) -> None:
    user = world.users["company_a"]
    response = forgot(client, user.email.upper())
    assert response.status_code == 302
    path = link_in_mail()
    assert mail.outbox[0]["To"] == user.email
    form = client.get(path)
    assert form.status_code == 200 and form.headers["Referrer-Policy"] == "no-referrer"
    assert client.post(path, data={"new": NEW, "confirm": NEW}).status_code == 302
    assert client.post("/login", data={"email": user.email, "password": NEW}).status_code == 302


def test_the_link_works_once(client: Any, world: World) -> None:
    forgot(client, world.users["company_a"].email)
    path = link_in_mail()
    assert client.post(path, data={"new": NEW, "confirm": NEW}).status_code == 302
    again = client.post(path, data={"new": NEW + "-2", "confirm": NEW + "-2"})
    assert again.status_code == 400 and "expired or was used already" in again.get_data(as_text=True)


def test_the_link_expires(app: Any, client: Any, world: World) -> None:
    forgot(client, world.users["company_a"].email)
    path = link_in_mail()
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    assert client.get(path).status_code == 400


def test_a_forged_or_foreign_token_is_refused(app: Any, client: Any, world: World) -> None:
    for token in ("abc", "x" * 600, "eyJ1IjoxfQ.forged.sig"):
        assert client.get(f"/password/reset/{token}").status_code == 400
    other = create_app({**app.config, "SECRET_KEY": "another-key"})
    with other.app_context():
        foreign = reset_token(world.users["company_a"])
    assert client.post(f"/password/reset/{foreign}", data={"new": NEW, "confirm": NEW}).status_code == 400
    other.extensions["srx.engine"].dispose()


def test_the_reset_ends_every_session(app: Any, client: Any, world: World) -> None:
    user = world.users["company_a"]
    logged_in = app.test_client()
    login(logged_in, user)
    forgot(client, user.email)
    client.post(link_in_mail(), data={"new": NEW, "confirm": NEW})
    assert logged_in.get("/company/").status_code == 302


def test_the_answer_is_the_same_whether_the_address_exists(client: Any, world: World) -> None:
    known = forgot(client, world.users["company_a"].email, follow_redirects=True)
    mail.outbox.clear()
    unknown = forgot(client, "nobody@test.nl", follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert mail.outbox == []


def test_reset_requests_are_rate_limited(app: Any, client: Any, world: World) -> None:
    email = world.users["company_a"].email
    for _ in range(5):
        assert forgot(client, email).status_code == 302
    # Three mails at most for one address in the window, however often someone asks.
    assert len(mail.outbox) == 3
    for i in range(5):
        client.post("/password/forgot", data={"email": f"n{i}@test.nl"})
    refused = forgot(client, email)
    assert refused.status_code == 429 and "Too many reset requests" in refused.get_data(as_text=True)
    # Another client is not refused.
    other = forgot(client, "x@test.nl", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 302


def test_the_mail_is_in_the_users_language(client: Any, world: World) -> None:
    user = world.users["company_a"]
    world.session.add(user)
    user.locale = "nl"
    world.session.commit()
    forgot(client, user.email)
    assert "wachtwoord" in str(mail.outbox[0]["Subject"]).lower()

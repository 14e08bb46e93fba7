"""Password guessing is slowed down: after 10 failed sign-ins for one email
within 15 minutes, that email is refused (429) even with the right password,
for known and unknown emails alike; other emails are not affected, and the
failures age out."""
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from jsclient import Client  # noqa: E402


def attempt(stack, email, password):
    return Client(stack.base).login(email, password, expect_ok=False)


def test_ten_failures_lock_the_email_for_fifteen_minutes(stack):
    org = stack.new_org()
    email, pw = stack.new_user(org, "owner")
    other, other_pw = stack.new_user(org, "viewer")
    for _ in range(10):
        r = attempt(stack, email, "not-" + pw)
        assert r.status_code == 403 and "The email or password is not correct." in r.text
    r = attempt(stack, email, pw)
    assert r.status_code == 429
    assert "Too many failed sign-ins" in r.text
    assert "js_session" not in r.headers.get("Set-Cookie", "")
    # the email's case does not matter; another email is unaffected
    assert attempt(stack, email.upper(), pw).status_code == 429
    assert attempt(stack, other, other_pw).status_code == 303
    # failures older than 15 minutes no longer count
    stack.sql("UPDATE login_failures SET at = at - interval '16 minutes' WHERE email = lower(%s)",
              (email,))
    assert attempt(stack, email, pw).status_code == 303
    # a success clears the count
    assert stack.sql("SELECT count(*) FROM login_failures WHERE email = lower(%s)", (email,))[0][0] == 0


def test_unknown_emails_are_throttled_the_same_way(stack):
    ghost = "nobody-%s@example.test" % os.urandom(4).hex()
    for _ in range(10):
        assert attempt(stack, ghost, "guess").status_code == 403
    r = attempt(stack, ghost, "guess")
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text

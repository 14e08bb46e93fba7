"""The team (issue 17, item 3): the team page for owners and admins,
invitations (a single-use set-password link that expires after 72 hours;
shown once when the server sends no mail, mailed when it does), accepting
one with a new account or an existing one, the role rules (admins never
touch owners nor make one; members and viewers get 403) and the last-owner
rule (also for two demotions at once), several organisations (the chooser
after sign-in, switching), removal ending the sessions in that
organisation only, and forgot password (the same answer for every address,
a single-use link by mail that ends the other sessions, a rate limit)."""
import base64
import hashlib
import json
import os
import re
import threading

import psycopg
import pytest

from conftest import wait_until
from jsclient import Client, csrf_of
from mail_helpers import mail_env, smtp  # noqa: F401 (smtp: a fixture)

PASSWORD = "correct horse battery"


def uid(stack, email):
    return stack.sql("SELECT id FROM users WHERE lower(email) = lower(%s)", (email,))[0][0]


def role_of(stack, org, email):
    rows = stack.sql("SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id "
                     "WHERE m.org_id = %s AND lower(u.email) = lower(%s)", (stack.org_id(org), email))
    return rows[0][0] if rows else None


def invite(c, email, role="member", expect=200):
    r = c.post("/team/invitations", {"csrf": c.csrf("/team"), "email": email, "role": role})
    assert r.status_code == expect, (r.status_code, r.text[-800:])
    return r


def invite_path(stack, r):
    url = re.search(r'id="invite-url" value="([^"]+)"', r.text).group(1)
    assert url.startswith(stack.base + "/invite?t=")
    return url[len(stack.base):]


def fresh_email(tag="new"):
    return "%s-%s@example.test" % (tag, os.urandom(4).hex())


def accept(stack, path, password=PASSWORD, again=None, expect=303):
    """A browser without a session opens the link and sends the form."""
    b = Client(stack.base)
    page = b.get(path)
    assert page.status_code == 200, (page.status_code, page.text[-500:])
    token = re.search(r'name="t" value="([^"]+)"', page.text).group(1)
    form = {"csrf": csrf_of(page.text), "t": token, "password": password}
    if again is not False:
        form["password2"] = again if again is not None else password
    r = b.post("/invite", form)
    assert r.status_code == expect, (r.status_code, r.text[-800:])
    return b, r


def signed_out(r):
    return r.status_code == 303 and r.headers["Location"].startswith("/login")


def activity(stack, org, kind):
    return [m for (m,) in stack.sql("SELECT message FROM activity WHERE org_id = %s AND kind = %s "
                                    "AND portal_id IS NULL ORDER BY id", (stack.org_id(org), kind))]


# -- invitations ---------------------------------------------------------------

def test_invite_set_password_then_sign_in(stack):
    owner = stack.client()
    email = fresh_email()
    r = invite(owner, email, "admin")
    path = invite_path(stack, r)
    assert "shown once" in r.text
    token = path.split("t=", 1)[1]
    # only the link's hash is stored
    (h,), = stack.sql("SELECT token_hash FROM invitations WHERE lower(email) = %s", (email,))
    assert h == hashlib.sha256(token.encode()).hexdigest() and token not in h
    # pending on the team page, with its expiry about 72 hours ahead
    page = owner.get("/team").text
    inv = re.search(r'<tr id="invite-(\d+)"><td>%s</td><td>Admin</td>' % re.escape(email), page)
    assert inv, page[-3000:]
    (hours,), = stack.sql("SELECT extract(epoch FROM expires_at - created_at) / 3600 FROM invitations "
                          "WHERE id = %s", (int(inv.group(1)),))
    assert round(hours) == 72
    assert activity(stack, owner.org, "user_invited")[-1] == "%s invited %s as Admin." % (owner.email, email)
    # opening it (a mail scanner, the person) uses nothing up
    for _ in range(2):
        got = Client(stack.base).get(path)
        assert got.status_code == 200 and 'id="invite-new"' in got.text and email in got.text
    # a short password, two different ones: 400, nothing created
    accept(stack, path, "short", expect=400)
    accept(stack, path, PASSWORD, PASSWORD + "x", expect=400)
    assert stack.sql("SELECT count(*) FROM users WHERE lower(email) = %s", (email,))[0][0] == 0
    # the sessionless form needs its CSRF token
    b = Client(stack.base)
    b.get(path)
    assert b.post("/invite", {"t": token, "password": PASSWORD, "password2": PASSWORD}).status_code == 403
    # accepted: the account, the membership, signed in
    b, r = accept(stack, path)
    assert r.headers["Location"] == "/portals"
    page = b.get("/portals")
    assert page.status_code == 200 and email in page.text and owner.org in page.text
    assert role_of(stack, owner.org, email) == "admin"
    assert activity(stack, owner.org, "invite_accepted")[-1].startswith("%s accepted the invitation" % email)
    # no longer pending; the new admin sees the team page
    assert 'id="invite-%s"' % inv.group(1) not in owner.get("/team").text
    assert b.get("/team").status_code == 200
    # used up
    again = Client(stack.base).get(path)
    assert again.status_code == 410 and "already used" in again.text
    # the password works on the sign-in form; last sign-in shows on the team page
    c = Client(stack.base)
    assert c.login(email, PASSWORD).headers["Location"] == "/portals"
    row = owner.get("/team").text.split('id="member-%d"' % uid(stack, email))[1].split("</tr>")[0]
    assert "<time datetime=" in row and "never" not in row


def test_expired_revoked_unknown_and_reused_links_change_nothing(stack):
    owner = stack.client()
    # expired (set in the past)
    email = fresh_email("late")
    path = invite_path(stack, invite(owner, email))
    b = Client(stack.base)
    page = b.get(path)
    form = {"csrf": csrf_of(page.text), "t": path.split("t=")[1], "password": PASSWORD, "password2": PASSWORD}
    stack.sql("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE lower(email) = %s", (email,))
    r = Client(stack.base).get(path)
    assert r.status_code == 410 and "This link has expired" in r.text
    r = b.post("/invite", form)  # the form read before it expired
    assert r.status_code == 410 and "expired" in r.text
    assert stack.sql("SELECT count(*) FROM users WHERE lower(email) = %s", (email,))[0][0] == 0
    assert 'id="invite-' not in owner.get("/team").text.split('id="invites"')[1].split("</table>")[0]
    # revoked
    email = fresh_email("revoked")
    path = invite_path(stack, invite(owner, email))
    (iid,), = stack.sql("SELECT id FROM invitations WHERE lower(email) = %s", (email,))
    assert owner.post("/team/invitations/%d/revoke" % iid, {"csrf": owner.csrf("/team")}).status_code == 303
    r = Client(stack.base).get(path)
    assert r.status_code == 410 and "withdrawn" in r.text
    assert owner.post("/team/invitations/%d/revoke" % iid, {"csrf": owner.csrf("/team")}).status_code == 404
    # a new invitation for the same address replaces the old link
    email = fresh_email("twice")
    first = invite_path(stack, invite(owner, email))
    second = invite_path(stack, invite(owner, email, "viewer"))
    assert Client(stack.base).get(first).status_code == 410
    assert Client(stack.base).get(second).status_code == 200
    # unknown, malformed
    assert Client(stack.base).get("/invite?t=" + "A" * 43).status_code == 404
    assert Client(stack.base).get("/invite").status_code == 404
    assert Client(stack.base).get("/invite?t=short").status_code == 400
    # another organisation's invitation cannot be revoked: 404
    other = stack.client()
    (iid,), = stack.sql("SELECT id FROM invitations WHERE lower(email) = %s AND revoked_at IS NULL", (email,))
    assert other.post("/team/invitations/%d/revoke" % iid, {"csrf": other.csrf("/team")}).status_code == 404
    assert Client(stack.base).get(second).status_code == 200
    # reused: a form read before the link was used is refused after
    late = Client(stack.base)
    page = late.get(second)
    form = {"csrf": csrf_of(page.text), "t": second.split("t=")[1], "password": PASSWORD + "2",
            "password2": PASSWORD + "2"}
    accept(stack, second)
    r = late.post("/invite", form)
    assert r.status_code == 410 and "already used" in r.text
    assert Client(stack.base).get(second).status_code == 410
    assert stack.sql("SELECT count(*) FROM users WHERE lower(email) = %s", (email,))[0][0] == 1


def test_inviting_a_member_or_an_owner_as_admin_is_refused(stack):
    owner = stack.client()
    admin = stack.client(org=owner.org, role="admin")
    r = invite(owner, admin.email.upper(), expect=409)
    assert "already belongs to a member" in r.text
    r = invite(admin, fresh_email(), "owner", expect=403)
    assert "Only an owner" in r.text
    assert 'value="owner"' not in admin.get("/team").text.split('id="invite-form"')[1]
    assert stack.sql("SELECT count(*) FROM invitations WHERE org_id = %s", (stack.org_id(owner.org),))[0][0] == 0


def test_at_most_50_pending_invitations(stack):
    owner = stack.client()
    org = stack.org_id(owner.org)
    stack.sql("INSERT INTO invitations (org_id, email, role, token_hash, invited_by, expires_at) "
              "SELECT %s, 'bulk' || g || '@example.test', 'viewer', md5(random()::text) || g, %s, "
              "now() + interval '1 hour' FROM generate_series(1, 50) g", (org, uid(stack, owner.email)))
    r = invite(owner, fresh_email(), expect=409)
    assert "50 pending invitations" in r.text
    assert stack.sql("SELECT count(*) FROM invitations WHERE org_id = %s", (org,))[0][0] == 50
    stack.sql("UPDATE invitations SET revoked_at = now() WHERE org_id = %s AND email = 'bulk1@example.test'",
              (org,))
    invite(owner, fresh_email())


def test_an_existing_account_joins_with_its_own_password(stack):
    elsewhere = stack.client()
    owner = stack.client()
    path = invite_path(stack, invite(owner, elsewhere.email, "viewer"))
    b = Client(stack.base)
    page = b.get(path)
    assert 'id="invite-existing"' in page.text and 'name="password2"' not in page.text
    form = {"csrf": csrf_of(page.text), "t": path.split("t=")[1]}
    r = b.post("/invite", dict(form, password="not-" + elsewhere.password))
    assert r.status_code == 403 and "not correct" in r.text
    assert role_of(stack, owner.org, elsewhere.email) is None
    r = b.post("/invite", dict(form, password=elsewhere.password))
    assert r.status_code == 303, r.text[-500:]
    assert role_of(stack, owner.org, elsewhere.email) == "viewer"
    assert role_of(stack, elsewhere.org, elsewhere.email) == "owner"  # the other stays
    assert owner.org in b.get("/portals").text
    # the password is unchanged; two organisations: the chooser after sign-in
    c = Client(stack.base)
    r = c.login(elsewhere.email, elsewhere.password)
    assert r.headers["Location"].startswith("/orgs")


# -- roles -------------------------------------------------------------------------

def test_members_and_viewers_get_403(stack):
    owner = stack.client()
    target = stack.client(org=owner.org, role="viewer")
    tid = uid(stack, target.email)
    for role in ("member", "viewer"):
        c = stack.client(org=owner.org, role=role)
        assert c.get("/team").status_code == 403
        assert 'id="nav-team"' not in c.get("/portals").text
        csrf = c.csrf()
        for path, form in (("/team/invitations", {"email": fresh_email(), "role": "viewer"}),
                           ("/team/members/%d/role" % tid, {"role": "member"}),
                           ("/team/members/%d/remove" % tid, {"confirm": "yes"})):
            assert c.post(path, dict(form, csrf=csrf)).status_code == 403, (role, path)
    assert role_of(stack, owner.org, target.email) == "viewer"
    assert 'id="nav-team"' in owner.get("/portals").text


def test_admins_cannot_touch_owners_nor_make_one(stack):
    owner = stack.client()
    admin = stack.client(org=owner.org, role="admin")
    member = stack.client(org=owner.org, role="member")
    oid, mid = uid(stack, owner.email), uid(stack, member.email)
    csrf = admin.csrf("/team")
    page = admin.get("/team").text
    assert 'id="member-%d-remove"' % oid not in page and 'id="member-%d-role-form"' % oid not in page
    assert 'id="member-%d-role-form"' % mid in page
    for path, form in (("/team/members/%d/role" % oid, {"role": "admin"}),
                       ("/team/members/%d/remove" % oid, {"confirm": "yes"}),
                       ("/team/members/%d/role" % mid, {"role": "owner"})):
        r = admin.post(path, dict(form, csrf=csrf))
        assert r.status_code == 403 and "Only an owner" in r.text, (path, r.status_code)
    assert admin.get("/team/members/%d/remove" % oid).status_code == 403
    assert role_of(stack, owner.org, owner.email) == "owner"
    assert role_of(stack, owner.org, member.email) == "member"
    # what an admin may do
    assert admin.post("/team/members/%d/role" % mid, {"csrf": csrf, "role": "viewer"}).status_code == 303
    assert role_of(stack, owner.org, member.email) == "viewer"
    assert member.get("/portals").status_code == 200  # the session reads the new role
    assert member.post("/portals/%d/imports" % 1, {"csrf": member.csrf()}).status_code == 403
    assert activity(stack, owner.org, "role_changed")[-1] == \
        "%s changed the role of %s from Member to Viewer." % (admin.email, member.email)
    # an owner may make an owner
    r = owner.post("/team/members/%d/role" % uid(stack, admin.email), {"csrf": owner.csrf("/team"), "role": "owner"})
    assert r.status_code == 303
    assert role_of(stack, owner.org, admin.email) == "owner"
    # another organisation's member: 404, nothing changed
    stranger = stack.client()
    sid = uid(stack, stranger.email)
    for path, form in (("/team/members/%d/role" % sid, {"role": "viewer"}),
                       ("/team/members/%d/remove" % sid, {"confirm": "yes"})):
        assert owner.post(path, dict(form, csrf=owner.csrf("/team"))).status_code == 404
    assert owner.get("/team/members/%d/remove" % sid).status_code == 404
    assert role_of(stack, stranger.org, stranger.email) == "owner"
    # a role that does not exist: 400
    assert owner.post("/team/members/%d/role" % mid, {"csrf": owner.csrf("/team"), "role": "root"}).status_code == 400


def test_the_last_owner_stays(stack):
    owner = stack.client()
    me = uid(stack, owner.email)
    for path, form in (("/team/members/%d/role" % me, {"role": "admin"}),
                       ("/team/members/%d/remove" % me, {"confirm": "yes"})):
        r = owner.post(path, dict(form, csrf=owner.csrf("/team")))
        assert r.status_code == 409 and "at least one owner" in r.text, (path, r.status_code)
    assert role_of(stack, owner.org, owner.email) == "owner"
    assert owner.get("/team").status_code == 200


def test_two_owners_demoting_themselves_at_once_leave_one_owner(stack):
    """Both requests are made to wait on the organisation's row (the test
    holds its lock), so both have read their session and passed the gate
    before either decides; without the lock both would pass."""
    a = stack.client()
    b = stack.client(org=a.org, role="owner")
    org = stack.org_id(a.org)
    forms = [(c, "/team/members/%d/role" % uid(stack, c.email), {"csrf": c.csrf("/team"), "role": "admin"})
             for c in (a, b)]
    results = {}
    with psycopg.connect(stack.conninfo) as hold:
        hold.execute("SELECT id FROM organisations WHERE id = %s FOR UPDATE", (org,))
        threads = [threading.Thread(target=lambda c=c, p=p, f=f: results.__setitem__(c.email, c.post(p, f)))
                   for c, p, f in forms]
        for t in threads:
            t.start()
        waiting = wait_until(lambda: stack.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query = "
            "'SELECT id FROM organisations WHERE id = $1 FOR UPDATE'")[0][0] >= 2, timeout=15)
        hold.commit()
        for t in threads:
            t.join(30)
    assert waiting, "the two requests did not both wait for the organisation's lock"
    codes = sorted(r.status_code for r in results.values())
    assert codes == [303, 409], codes
    assert stack.sql("SELECT count(*) FROM memberships WHERE org_id = %s AND role = 'owner'", (org,))[0][0] == 1


# -- several organisations -------------------------------------------------------

def two_orgs(stack, role_b="member"):
    """A user of two organisations (the second added by the admin tool)."""
    a, b = stack.new_org(), stack.new_org()
    email, pw = stack.new_user(a, "admin")
    r = stack.admin("user", "create", "--org", b, "--email", email, "--role", role_b, input="ignored\n")
    assert "added user" in r.stdout and "password is unchanged" in r.stdout
    return a, b, email, pw


def switch(c, org_id, next_path=None):
    form = {"csrf": c.csrf("/orgs"), "org": str(org_id)}
    if next_path:
        form["next"] = next_path
    return c.post("/orgs/switch", form)


def test_several_organisations_choose_then_switch(stack):
    a, b, email, pw = two_orgs(stack)
    # the admin tool refuses the same organisation twice
    r = stack.admin("user", "create", "--org", b, "--email", email, "--role", "viewer", input="x\n", check=False)
    assert r.returncode != 0 and "exists" in r.stderr
    c = Client(stack.base)
    r = c.login(email, pw)
    assert r.headers["Location"] == "/orgs"
    page = c.get("/orgs").text
    ida, idb = stack.org_id(a), stack.org_id(b)
    assert 'id="org-%d"' % ida in page and 'id="org-%d"' % idb in page
    assert 'id="switch-org"' in c.get("/portals").text
    old = c.s.cookies.get("js_session")
    r = switch(c, idb, "/portals?sort=status")
    assert r.status_code == 303 and r.headers["Location"] == "/portals?sort=status"
    assert c.s.cookies.get("js_session") != old
    payload = json.loads(base64.urlsafe_b64decode(c.s.cookies.get("js_session").split(".")[1] + "=="))
    assert payload["org"] == idb
    page = c.get("/portals")
    assert page.status_code == 200 and 'id="org-name">%s<' % b in page.text
    assert 'class="role">member<' in page.text
    # the session it replaced has ended
    stale = Client(stack.base)
    stale.s.cookies.set("js_session", old)
    assert signed_out(stale.get("/portals"))
    # an organisation they do not belong to: 404, still in b
    assert switch(c, stack.org_id(stack.new_org())).status_code == 404
    assert 'id="org-name">%s<' % b in c.get("/portals").text
    # the next sign-in goes to the chooser again, offering the last one first
    c2 = Client(stack.base)
    assert c2.login(email, pw).headers["Location"] == "/orgs"
    assert 'id="org-name">%s<' % b in c2.get("/portals").text
    # with ?next= kept through the chooser
    c3 = Client(stack.base)
    page = c3.get("/login?next=/assets").text
    r = c3.post("/login", {"email": email, "password": pw, "csrf": csrf_of(page), "next": "/assets"})
    assert r.headers["Location"] == "/orgs?next=/assets"
    assert 'name="next" value="/assets"' in c3.get(r.headers["Location"]).text


def test_removal_ends_sessions_in_that_organisation_only(stack):
    a, b, email, pw = two_orgs(stack)
    in_a = Client(stack.base)
    in_a.login(email, pw)
    assert switch(in_a, stack.org_id(a)).status_code == 303
    in_b = Client(stack.base)
    in_b.login(email, pw)
    assert switch(in_b, stack.org_id(b)).status_code == 303
    assert in_a.get("/portals").status_code == 200 and in_b.get("/portals").status_code == 200
    owner = Client(stack.base)
    owner_email, owner_pw = stack.new_user(a, "owner")
    owner.login(owner_email, owner_pw)
    target = uid(stack, email)
    confirm = owner.get("/team/members/%d/remove" % target)
    assert confirm.status_code == 200 and email in confirm.text
    r = owner.post("/team/members/%d/remove" % target, {"csrf": csrf_of(confirm.text), "confirm": "yes"})
    assert r.status_code == 303
    # at once: the session in a ends, the one in b goes on
    assert signed_out(in_a.get("/portals"))
    page = in_b.get("/portals")
    assert page.status_code == 200 and 'id="org-name">%s<' % b in page.text
    assert role_of(stack, a, email) is None and role_of(stack, b, email) == "member"
    assert stack.sql("SELECT count(*) FROM sessions WHERE user_id = %s AND org_id = %s AND ended_at IS NULL",
                     (target, stack.org_id(a)))[0][0] == 0
    assert activity(stack, a, "member_removed")[-1] == \
        "%s removed %s (Admin) from the organisation." % (owner_email, email)
    # signing in again: one organisation left, straight in
    c = Client(stack.base)
    assert c.login(email, pw).headers["Location"] == "/portals"
    assert 'id="switch-org"' not in c.get("/portals").text
    assert 'id="nav-team"' not in c.get("/portals").text  # a member in b


# -- forgot password -----------------------------------------------------------

@pytest.fixture
def mail_app(stack, smtp):  # noqa: F811
    """The web program with mail on (a real SMTP server for the worker)."""
    server = smtp().start()
    stack.extra_env = mail_env(server)
    stack.restart_app()
    try:
        yield server
    finally:
        stack.extra_env = {}
        stack.restart_app()


def forgot(c, email):
    page = c.get("/forgot")
    assert page.status_code == 200 and 'id="forgot-form"' in page.text
    return c.post("/forgot", {"csrf": csrf_of(page.text), "email": email})


def mails(server, rcpt):
    return [m.get_body(preferencelist=("plain",)).get_content() for m, _ in server.messages(rcpt)]


def test_forgot_password_by_mail(stack, mail_app):
    server = mail_app
    user = stack.client()
    other_session = stack.client(org=user.org)  # someone else: untouched
    unknown = fresh_email("nobody")
    c = Client(stack.base)
    answers = [forgot(c, addr) for addr in (unknown, user.email)]
    for r in answers:
        assert r.status_code == 200 and 'id="forgot-sent"' in r.text
        assert "If an account exists for that address" in r.text
    assert answers[0].text == answers[1].text  # the same page, byte for byte
    stack.worker_once(env=mail_env(server))
    assert mails(server, unknown) == []
    (text,) = mails(server, user.email)
    path = re.search(r"http://127\.0\.0\.1:\d+(/reset\?t=[A-Za-z0-9_-]{43})", text).group(1)
    token = path.split("t=")[1]
    assert stack.sql("SELECT count(*) FROM password_resets WHERE token_hash = %s",
                     (hashlib.sha256(token.encode()).hexdigest(),))[0][0] == 1
    # opening it uses nothing up; a short password: 400
    b = Client(stack.base)
    page = b.get(path)
    assert page.status_code == 200 and user.email in page.text
    form = {"csrf": csrf_of(page.text), "t": token}
    r = b.post("/reset", dict(form, password="short", password2="short"))
    assert r.status_code == 400
    assert Client(stack.base).login(user.email, user.password).status_code == 303
    # a new password: signed in; every other session of the user ends
    new = "a brand new password"
    r = b.post("/reset", dict(form, password=new, password2=new))
    assert r.status_code == 303 and r.headers["Location"] == "/portals"
    assert b.get("/portals").status_code == 200
    assert signed_out(user.get("/portals"))
    assert other_session.get("/portals").status_code == 200
    assert Client(stack.base).login(user.email, user.password, expect_ok=False).status_code == 403
    assert Client(stack.base).login(user.email, new).status_code == 303
    # single use
    r = Client(stack.base).get(path)
    assert r.status_code == 410 and "already used" in r.text
    assert b.post("/reset", dict(form, password="another password!", password2="another password!")).status_code == 410
    assert Client(stack.base).login(user.email, new).status_code == 303
    # an expired link
    before = len(mails(server, user.email))
    forgot(Client(stack.base), user.email)
    for _ in range(5):  # a delivery the loaded machine let time out is retried by the next pass
        stack.worker_once(env=mail_env(server))
        if len(mails(server, user.email)) > before:
            break
        stack.sql("UPDATE mail_outbox SET next_attempt_at = now() WHERE sent_at IS NULL")
    assert len(mails(server, user.email)) == before + 1
    text = mails(server, user.email)[-1]
    path = re.search(r"(/reset\?t=[A-Za-z0-9_-]{43})", text).group(1)
    stack.sql("UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE user_id = %s "
              "AND used_at IS NULL", (uid(stack, user.email),))
    r = Client(stack.base).get(path)
    assert r.status_code == 410 and "This link has expired" in r.text
    # an invitation is mailed too (no link on the page), and its link works
    invited = fresh_email("mailed")
    owner = Client(stack.base)
    owner.login(user.email, new)
    r = owner.post("/team/invitations", {"csrf": owner.csrf("/team"), "email": invited, "role": "member"})
    assert r.status_code == 303 and r.headers["Location"] == "/team"
    assert "Invitation mailed to %s" % invited in owner.get("/team").text
    stack.worker_once(env=mail_env(server))
    (text,) = mails(server, invited)
    path = re.search(r"(/invite\?t=[A-Za-z0-9_-]{43})", text).group(1)
    assert "72 hours" in text
    _, r = accept(stack, path)
    assert role_of(stack, user.org, invited) == "member"


def test_forgot_password_rate_limit_and_without_mail(stack, mail_app):
    user = stack.client()
    for addr in (user.email, fresh_email("limited")):
        c = Client(stack.base)
        for _ in range(5):
            assert forgot(c, addr).status_code == 200
        r = forgot(c, addr)
        assert r.status_code == 429 and r.headers.get("Retry-After") == "3600"
    assert stack.sql("SELECT count(*) FROM password_resets WHERE user_id = %s",
                     (uid(stack, user.email),))[0][0] == 5


def test_forgot_password_without_mail_says_so(stack):
    c = Client(stack.base)
    page = c.get("/forgot")
    assert page.status_code == 200 and 'id="forgot-mail-off"' in page.text
    assert 'id="forgot-link"' in c.get("/login").text
    r = c.post("/forgot", {"csrf": csrf_of(c.get("/login").text), "email": "someone@example.test"})
    assert r.status_code == 503 and 'id="forgot-mail-off"' in r.text


def test_team_pages_are_escaped_and_carry_csrf(stack):
    from test_html_output import assert_page_hygiene
    owner = stack.client()
    evil = "x<b>\"'%s@example.test" % os.urandom(3).hex()
    r = invite(owner, evil.replace("<b>", "").replace('"', "").replace("'", ""), "viewer")
    path = invite_path(stack, r)
    member = stack.client(org=owner.org, role="member")
    stack.sql("UPDATE users SET email = %s WHERE email = %s", (evil, member.email))
    mid = uid(stack, evil)
    a, b, email, pw = two_orgs(stack)
    multi = Client(stack.base)
    multi.login(email, pw)
    pages = [(owner, "/team"), (owner, "/team/members/%d/remove" % mid), (multi, "/orgs"),
             (Client(stack.base), path), (Client(stack.base), "/forgot")]
    for c, p in pages:
        r = c.get(p)
        assert r.status_code == 200, (p, r.status_code)
        assert_page_hygiene(r.text, p)
        assert "<b>" not in r.text, p
    assert "x&lt;b&gt;" in owner.get("/team").text

"""Helpers for test_reconnect.py: page parsing, database snapshots, simulator
grant views, token decryption (to learn the values the app really stores)
and a pg_dump runner."""
import base64
import html
import os
import re
import secrets
import shutil
import subprocess
from types import SimpleNamespace

import psycopg.conninfo
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# the Config types read and write the property schemas of the four object
# types (imports, deployments): crm.schemas.{o}.read/.write, and "tickets"
SCHEMAS = {"crm.schemas.%s.%s" % (o, rw) for o in ("contacts", "companies", "deals")
           for rw in ("read", "write")} | {"tickets"}
REQUIRED = {
    "config_only": {"oauth", "settings.users.read", "automation", "forms"} | SCHEMAS,
    "config_audit": {"oauth", "settings.users.read", "automation", "forms",
                     "crm.objects.contacts.read"} | SCHEMAS,
    # audits read the property schemas of the four object types too
    "audit_only": {"oauth", "settings.users.read", "crm.schemas.contacts.read",
                   "crm.schemas.companies.read", "crm.schemas.deals.read", "tickets", "automation",
                   "crm.objects.contacts.read"},
}
CONN_LABEL_WORD = {"config_only": "Config Only", "config_audit": "Config + Audit", "audit_only": "Audit Only"}

# The simulator's token formats (tests/hubspot_sim.py new_access_token / new_refresh_token).
ACCESS_RE = re.compile(r"C[A-Za-z0-9_-]{150}")
REFRESH_RE = re.compile(r"na1-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

HELP_LINKS = ('href="/help/oauth-connection-flow"', 'href="/help/connection-troubleshooting"')


def hs_email(tag="hs"):
    return "%s-%s@client.test" % (tag, secrets.token_hex(5))


# ---------------------------------------------------------------- pages
def _text(fragment):
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def by_id(page, tag, ident):
    m = re.search(r'<%s[^>]*\bid="%s"[^>]*>(.*?)</%s>' % (tag, re.escape(ident), tag), page, re.S)
    return _text(m.group(1)) if m else None


def error_title(page):
    return by_id(page, "h1", "error-title")


def error_message(page):
    return by_id(page, "p", "error-message")


def flash(page):
    return by_id(page, "div", "flash")


def table_rows(page):
    """[(portal id, hub id, data-status, row html)] in page order."""
    rows = []
    for a, s, body in re.findall(r'<tr id="portal-(\d+)" data-status="([a-z_]+)">(.*?)</tr>', page, re.S):
        hub = re.match(r'<td>.*?</td><td>(\d+)</td>', body, re.S)
        assert hub, body
        rows.append((int(a), int(hub.group(1)), s, body))
    return rows


def next_href(page):
    m = re.search(r'<a href="([^"]+)" id="next-page"', page)
    return html.unescape(m.group(1)) if m else None


def assert_refusal(r, status, title):
    assert r.status_code == status, (r.status_code, r.text[:3000])
    assert error_title(r.text) == title, (error_title(r.text), error_message(r.text))
    msg = error_message(r.text) or ""
    assert "nothing was changed" in msg.lower(), msg
    for link in HELP_LINKS:
        assert link in r.text, link
    return msg


# ---------------------------------------------------------------- data
def user_id(stack, email):
    return stack.sql("SELECT id FROM users WHERE lower(email) = lower(%s)", (email,))[0][0]


def _one_dict(stack, query, params):
    """The query's first row as {column: value}, or None when there is none."""
    with stack.db() as con:
        cur = con.execute(query, params)
        cols = [d.name for d in cur.description]
        row = cur.fetchone()
    return dict(zip(cols, row)) if row else None


def portal_row(stack, pid):
    return _one_dict(stack, "SELECT * FROM portals WHERE id = %s", (pid,))


def token_row(stack, pid):
    return _one_dict(stack, "SELECT * FROM portal_tokens WHERE portal_id = %s", (pid,))


def snapshot(stack, pid):
    """Everything a refused attempt must leave alone for this portal."""
    return {
        "portal": stack.sql("SELECT * FROM portals WHERE id = %s", (pid,)),
        "tokens": stack.sql("SELECT * FROM portal_tokens WHERE portal_id = %s", (pid,)),
        "activity": stack.sql("SELECT * FROM activity WHERE portal_id = %s ORDER BY id", (pid,)),
        "assets": stack.sql("SELECT *, definition::text FROM assets WHERE source_portal_id = %s ORDER BY id",
                            (pid,)),
        "asset_versions": stack.sql("SELECT v.*, v.definition::text FROM asset_versions v JOIN assets a "
                                    "ON a.id = v.asset_id WHERE a.source_portal_id = %s "
                                    "ORDER BY v.asset_id, v.version", (pid,)),
        "deployments": deploy_history(stack, pid),
        "audits": audit_history(stack, pid),
    }


def audit_history(stack, pid):
    """A portal's audits: their runs, rows and findings, every column."""
    return {
        "runs": stack.sql("SELECT * FROM runs WHERE portal_id = %s AND kind = 'audit' ORDER BY id", (pid,)),
        "audits": stack.sql("SELECT * FROM audits WHERE portal_id = %s ORDER BY run_id", (pid,)),
        "findings": stack.sql("SELECT f.* FROM audit_findings f JOIN audits a ON a.run_id = f.run_id "
                              "WHERE a.portal_id = %s ORDER BY f.run_id, f.seq", (pid,)),
    }


def deploy_history(stack, pid):
    """A portal's deployments: their runs, rows and items, every column."""
    return {
        "runs": stack.sql("SELECT * FROM runs WHERE portal_id = %s AND kind = 'deploy' ORDER BY id", (pid,)),
        "deployments": stack.sql("SELECT * FROM deployments WHERE portal_id = %s ORDER BY run_id", (pid,)),
        "items": stack.sql("SELECT i.* FROM deployment_items i JOIN deployments d ON d.run_id = i.run_id "
                           "WHERE d.portal_id = %s ORDER BY i.run_id, i.seq", (pid,)),
    }


def org_portal_count(stack, org):
    return stack.sql("SELECT count(*) FROM portals WHERE org_id = %s", (stack.org_id(org),))[0][0]


def make_yellow_sql(stack, pid, reason="HubSpot rejected the refresh token (BAD_REFRESH_TOKEN)."):
    stack.sql("UPDATE portals SET status = 'needs_reconnection', status_reason = %s, "
              "status_changed_at = now() - interval '1 hour' WHERE id = %s", (reason, pid))


def make_yellow_worker(stack, hub, pid):
    """Stack.make_yellow; returns the portal's row, which has a status reason."""
    stack.make_yellow(hub, pid)
    row = portal_row(stack, pid)
    assert row["status"] == "needs_reconnection", row
    assert row["status_reason"], row
    return row


def seed_history(stack, org, pid):
    """Imported assets (each with two versions), deployments and activity rows
    for a portal."""
    oid = stack.org_id(org)
    hub = stack.sql("SELECT hub_id FROM portals WHERE id = %s", (pid,))[0][0]
    with stack.db() as con:
        aids = []
        for i, (kind, name, label) in enumerate([("group", "lead_nurture_eu", "Lead nurture \u2013 EU"),
                                                 ("property", "contact_us_form", "Contact us <b>form</b>"),
                                                 ("property", "lifecycle_stage_custom_%s" % secrets.token_hex(3),
                                                  "Lifecycle stage (custom)")]):
            definition = ('{"b": [1, 2.50, "x"], "a": {"nested": true, "unicode": "\\u00e9"}, "n": null, '
                          '"name": "%s"}' % name)
            aid = con.execute(
                "INSERT INTO assets (org_id, source_hub_id, source_portal_id, object_type, kind, name, "
                "label, definition, fingerprint, version) VALUES (%s, %s, %s, 'contacts', %s, %s, %s, "
                "%s::jsonb, 'fp2', 2) RETURNING id",
                (oid, hub, pid, kind, name, label, definition)).fetchone()[0]
            for v in (1, 2):
                con.execute("INSERT INTO asset_versions (asset_id, version, label, definition) "
                            "VALUES (%s, %s, %s, %s::jsonb)", (aid, v, label + " v%d" % v, definition))
            aids.append(aid)
        # two deployments to the portal: one succeeded, one failed at its
        # first call with HubSpot's answer on its first item
        for state, result, msg, cat, corr in [
                ("succeeded", "created", "", "", ""),
                ("failed", "failed", "Authentication error: HubSpot answered HTTP 401 EXPIRED_AUTHENTICATION.",
                 "EXPIRED_AUTHENTICATION", "c0ffee00-1111-2222-3333-444455556666")]:
            run = con.execute(
                "INSERT INTO runs (org_id, portal_id, kind, state, steps_total, steps_done, items_seen, "
                "items_new, items_failed, failure_message, failure_category, failure_correlation_id, "
                "started_at, finished_at) VALUES (%s, %s, 'deploy', %s, 1, 1, 1, %s, %s, %s, %s, %s, "
                "now() - interval '2 days', now() - interval '2 days') RETURNING id",
                (oid, pid, state, int(result == "created"), int(result == "failed"), msg, cat, corr)).fetchone()[0]
            con.execute("INSERT INTO deployments (run_id, org_id, portal_id, target_hub_id, selection, "
                        "object_types, items_total) VALUES (%s, %s, %s, %s, '1 asset ticked in the library', "
                        "'{contacts}', 1)", (run, oid, pid, hub))
            con.execute("INSERT INTO deployment_items (run_id, seq, step, asset_id, asset_version, object_type, "
                        "kind, name, label, result, sent, message, hs_status, hs_category, hs_correlation_id, "
                        "done_at) VALUES (%s, 1, 1, %s, 2, 'contacts', 'group', 'lead_nurture_eu', "
                        "'Lead nurture \u2013 EU', %s, %s, %s, %s, %s, %s, now() - interval '2 days')",
                        (run, aids[0], result, "create" if result == "created" else "", msg,
                         401 if cat else 0, cat, corr))
        # a completed audit with two findings
        run = con.execute(
            "INSERT INTO runs (org_id, portal_id, kind, state, steps_total, steps_done, started_at, "
            "finished_at) VALUES (%s, %s, 'audit', 'succeeded', 1, 1, now() - interval '3 days', "
            "now() - interval '3 days') RETURNING id", (oid, pid)).fetchone()[0]
        con.execute("INSERT INTO audits (run_id, org_id, portal_id, hub_id, super_admin_limit, "
                    "read_object_types, users_read, completed, n_high, n_low) VALUES (%s, %s, %s, %s, 3, "
                    "'{contacts,companies,deals,tickets}', 7, true, 1, 1)", (run, oid, pid, hub))
        con.execute("INSERT INTO audit_findings (run_id, seq, rule, severity, severity_rank, object_type, "
                    "object_key, object_label, detail) VALUES (%s, 1, 'too_many_super_admins', 'high', 0, "
                    "'portal', '', '5 Super Admins (your limit: 3)', 'a@x.test, b@x.test'), "
                    "(%s, 2, 'property_no_description', 'low', 2, 'contacts', 'contact_us_form', "
                    "'Contact us <b>form</b>', '')", (run, run))
        for kind, msg, corr in [("import", "Imported 3 assets", None),
                                ("deploy", "Deployment failed: 401", "c0ffee00-1111-2222-3333-444455556666"),
                                ("audit", "Audit completed", None)]:
            con.execute("INSERT INTO activity (org_id, portal_id, kind, message, correlation_id, created_at) "
                        "VALUES (%s, %s, %s, %s, %s, now() - interval '1 day')", (oid, pid, kind, msg, corr))
    return aids


# ---------------------------------------------------------------- simulator
def grants(stack, hub):
    return {g["grant_id"]: g for g in stack.sim("GET", "/_sim/state?hub_id=%d" % hub)["grants"]}


def log_mark(stack):
    return stack.sim("GET", "/_sim/log?limit=0")["last_seq"]


def log_since(stack, seq, endpoint=None):
    q = "/_sim/log?since=%d" % seq + ("&endpoint=%s" % endpoint if endpoint else "")
    return stack.sim("GET", q)["entries"]


def introspect(stack, token, hint):
    import requests
    r = requests.post(stack.sim_url + "/oauth/2026-03/token/introspect",
                      data={"client_id": stack.client_id, "client_secret": stack.client_secret,
                            "token": token, "token_type_hint": hint}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def decrypt_tokens(stack, pid):
    """The (access, refresh) token values the app stored for pid, decrypted with
    the stack's token key (AES-256-GCM, nonce || ciphertext || tag)."""
    row = token_row(stack, pid)
    key = AESGCM(base64.b64decode(stack.token_key))
    out = []
    for kind in ("access", "refresh"):
        box = bytes(row["%s_token_enc" % kind])
        aad = ("jetstack:portal:%d:%s:k%d" % (pid, kind, row["key_id"])).encode()
        out.append(key.decrypt(box[:12], box[12:], aad).decode())
    return tuple(out)


# ---------------------------------------------------------------- flows
def connected(stack, conn_type="config_audit", c=None, admin=None, name=None):
    """A signed-in owner with one Connected portal."""
    c = c or stack.client()
    admin = admin or hs_email()
    hub, pid, location = stack.connect_portal(c, conn_type, admin=admin, name=name)
    assert location == "/portals", location
    return SimpleNamespace(c=c, hub=hub, pid=pid, admin=admin)


def pg_dump(stack):
    ci = psycopg.conninfo.conninfo_to_dict(stack.conninfo)
    exe = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"
    if os.path.exists("/usr/lib/postgresql/15/bin/pg_dump"):
        exe = "/usr/lib/postgresql/15/bin/pg_dump"
    r = subprocess.run([exe, "-h", ci["host"], "-p", str(ci["port"]), "-U", ci.get("user", "jetstack"),
                        ci.get("dbname", "jetstack")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout

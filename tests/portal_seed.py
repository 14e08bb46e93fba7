"""Many Connected portals, seeded the fast way (tests and benches).

A connection through the real OAuth flow costs several HTTP round trips; tests
and benches that need hundreds of portals mint the grants at the simulator in
one call (POST /_sim/grants/bulk), insert the portal rows in one statement and
seal the tokens exactly as the product does: AES-256-GCM with
JETSTACK_TOKEN_KEY, blob = nonce || ciphertext || tag, associated data
"jetstack:portal:<id>:<access|refresh>:k1" (src/core/tok.c).  check_format()
proves the format on tokens the product itself stored for a portal connected
through the real flow, and the product has to open every seeded token to
refresh it."""
import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_ID = 1


def aes_of(stack):
    return AESGCM(base64.b64decode(stack.token_key))


def seal(aes, portal, kind, token):
    nonce = os.urandom(12)
    aad = ("jetstack:portal:%d:%s:k%d" % (portal, kind, KEY_ID)).encode()
    return nonce + aes.encrypt(nonce, token.encode(), aad)


def unseal(aes, portal, kind, blob):
    aad = ("jetstack:portal:%d:%s:k%d" % (portal, kind, KEY_ID)).encode()
    return aes.decrypt(bytes(blob[:12]), bytes(blob[12:]), aad).decode()


def stored_tokens(stack, aes, pid):
    """(access, refresh) as the product stored them for portal pid."""
    row = stack.sql("SELECT key_id, access_token_enc, refresh_token_enc FROM portal_tokens "
                    "WHERE portal_id = %s", (pid,))[0]
    assert row[0] == KEY_ID
    return unseal(aes, pid, "access", row[1]), unseal(aes, pid, "refresh", row[2])


def check_format(stack, aes, pids):
    """The sealing above is the product's: it opens what the product stored."""
    for p in pids:
        access, refresh = stored_tokens(stack, aes, p)
        assert access.startswith("C") and refresh.startswith("na1-"), p


def flow_scopes(stack, admin):
    """Connect one portal through the real flow as HubSpot user admin, check
    the token format on what the product stored, and set the portal aside
    (Disconnected).  Returns (the AES key, the scopes it was granted): what
    seed_portals needs."""
    c = stack.client()
    _, pid, _ = stack.connect_portal(c, admin=admin)
    scopes = stack.sql("SELECT granted_scopes FROM portals WHERE id = %s", (pid,))[0][0].split()
    aes = aes_of(stack)
    check_format(stack, aes, [pid])
    stack.sql("UPDATE portals SET status = 'disconnected' WHERE id = %s", (pid,))
    return aes, scopes


def seed_portals(stack, aes, hubs, scopes, admin, expires_sql="now()", health_sql=None,
                 org=None):
    """Connected portals for simulator hubs (grants minted for HubSpot user
    admin with scopes) in org (a new one when None); the access tokens expire
    at expires_sql (SQL over the row number n, 1-based); the health checks
    fall due at health_sql (default: in 6 hours).  Returns (org, [portal id]
    in the order of hubs)."""
    org = org or stack.new_org("seeded")
    email, _ = stack.new_user(org, "owner")
    org_id = stack.org_id(org)
    user_id = stack.sql("SELECT id FROM users WHERE email = %s", (email,))[0][0]
    answers = stack.sim("POST", "/_sim/grants/bulk", {
        "user_email": admin, "scopes": scopes, "grants": [{"hub_id": h} for h in hubs]})["grants"]
    assert [a["hub_id"] for a in answers] == list(hubs)
    uid = answers[0]["user_id"]
    with stack.db() as db:
        with db.transaction():
            rows = db.execute(
                "INSERT INTO portals (org_id, hub_id, hub_domain, name, connection_type, status, "
                "granted_scopes, hs_user_id, hs_user_email, connected_by, last_refreshed_at, "
                "next_health_at, next_check_at) "
                "SELECT %s, h, 'p' || h || '.example.com', 'Seeded portal ' || h, 'config_audit', "
                "'connected', %s, %s, %s, %s, now(), " + (health_sql or "now() + interval '6 hours'")
                + ", now() FROM unnest(%s::bigint[]) WITH ORDINALITY AS u(h, n) RETURNING id, hub_id",
                (org_id, " ".join(scopes), uid, admin, user_id, list(hubs))).fetchall()
            pid = {h: i for i, h in rows}
            ids, acc, ref = [], [], []
            for a in answers:
                p = pid[a["hub_id"]]
                ids.append(p)
                acc.append(seal(aes, p, "access", a["access_token"]))
                ref.append(seal(aes, p, "refresh", a["refresh_token"]))
            db.execute(
                "INSERT INTO portal_tokens (portal_id, key_id, access_token_enc, refresh_token_enc, "
                "access_expires_at) SELECT p, %s, a, r, " + expires_sql + " "
                "FROM unnest(%s::bigint[], %s::bytea[], %s::bytea[]) WITH ORDINALITY AS t(p, a, r, n)",
                (KEY_ID, ids, acc, ref))
    return org, ids

#!/bin/sh
# make run: the whole stack on http://127.0.0.1:8080 with state under var/.
# Stops everything cleanly on Ctrl-C.  A second run reuses the data.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${JETSTACK_VAR:-$ROOT/var}
HTTP_PORT=${JETSTACK_HTTP_PORT:-8080}
PG_PORT=${JETSTACK_PG_PORT:-55432}
STACK="$ROOT/scripts/stack.sh"
t0=$(date +%s.%N)

[ "$(id -u)" -eq 0 ] || { echo "make run: run as root (it starts PostgreSQL as postgres and nginx)" >&2; exit 1; }
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)

# Secrets and demo credentials: generated once, kept in var/secrets.env.
if [ ! -f "$STATE/secrets.env" ]; then
	umask 077
	{
		echo "JETSTACK_TOKEN_KEY=$(head -c 32 /dev/urandom | base64)"
		echo "JETSTACK_SESSION_KEY=$(head -c 32 /dev/urandom | base64)"
		echo "DEMO_PASSWORD=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | cut -c1-16)"
		echo "SIM_CLIENT_ID=demo-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
		echo "SIM_CLIENT_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
	} >"$STATE/secrets.env"
	umask 022
fi
. "$STATE/secrets.env"

cleanup() {
	trap - INT TERM EXIT
	echo
	echo "stopping..."
	"$STACK" down "$STATE" || true
	echo "stopped."
}
trap 'cleanup; exit 0' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT
PARENT=$PPID

"$STACK" down "$STATE" >/dev/null 2>&1 || true
CONNINFO=$("$STACK" pg-start "$STATE" "$PG_PORT")

SIM=""
if [ -z "${HUBSPOT_CLIENT_ID:-}" ]; then
	export HUBSPOT_CLIENT_ID="$SIM_CLIENT_ID" HUBSPOT_CLIENT_SECRET="$SIM_CLIENT_SECRET"
	SIM_PORT=$("$STACK" sim-start "$STATE" demo)
	SIM="http://127.0.0.1:$SIM_PORT"
	export HUBSPOT_AUTHORIZE_URL="$SIM/oauth/authorize" HUBSPOT_API_BASE="$SIM"
fi

# Mail: without an operator's SMTP server, a local sink that keeps every
# message as a file in var/mail/ (plain SMTP on loopback), and a short
# digest window so that the demo's digest arrives within a minute.
MAIL_SINK=""
if [ -z "${JETSTACK_SMTP_URL:-}" ]; then
	MAIL_PORT=$("$STACK" smtp-start "$STATE")
	MAIL_SINK="$STATE/mail"
	export JETSTACK_SMTP_URL="smtp://127.0.0.1:$MAIL_PORT" JETSTACK_SMTP_STARTTLS=off
	export JETSTACK_SMTP_FROM="${JETSTACK_SMTP_FROM:-alerts@jetstack.localhost}"
	export JETSTACK_MAIL_DIGEST_WINDOW_SECONDS="${JETSTACK_MAIL_DIGEST_WINDOW_SECONDS:-20}"
fi

# Webhooks: in the demo, a local receiver (tests/webhook_receiver.py) that
# logs every delivery in var/webhooks.jsonl with whether its signature
# verified.  Its port is chosen now (the demo's endpoint URL names it); it is
# started by demo_seed.py's integrations phase once the product has shown the
# endpoint's signing secret.  It listens on loopback over http, so only then
# does the configuration allow those webhook URLs.
HOOK_PORT=""
if [ -n "$SIM" ]; then
	HOOK_PORT=$("$STACK" hook-port "$STATE")
fi

# The configuration every program reads (environment variables still win).
umask 077
{
	echo "# written by make run; environment variables override these"
	echo "JETSTACK_DATABASE=$CONNINFO"
	echo "JETSTACK_BASE_URL=${JETSTACK_BASE_URL:-http://127.0.0.1:$HTTP_PORT}"
	echo "JETSTACK_TOKEN_KEY=$JETSTACK_TOKEN_KEY"
	echo "JETSTACK_SESSION_KEY=$JETSTACK_SESSION_KEY"
	echo "HUBSPOT_CLIENT_ID=$HUBSPOT_CLIENT_ID"
	echo "HUBSPOT_CLIENT_SECRET=${HUBSPOT_CLIENT_SECRET:-}"
	echo "HUBSPOT_AUTHORIZE_URL=${HUBSPOT_AUTHORIZE_URL:-https://app.hubspot.com/oauth/authorize}"
	echo "HUBSPOT_API_BASE=${HUBSPOT_API_BASE:-https://api.hubapi.com}"
	echo "JETSTACK_TEMPLATE_DIR=$STATE/app/share/jetstack/templates"
	echo "JETSTACK_SQL_DIR=$STATE/app/share/jetstack/sql"
	for v in JETSTACK_SMTP_URL JETSTACK_SMTP_STARTTLS JETSTACK_SMTP_FROM JETSTACK_SMTP_USER \
		JETSTACK_SMTP_PASSWORD JETSTACK_SMTP_CA_FILE JETSTACK_MAIL_DIGEST_WINDOW_SECONDS; do
		eval "val=\${$v:-}"
		[ -n "$val" ] && echo "$v=$val"
	done
	if [ -n "$HOOK_PORT" ]; then
		echo "JETSTACK_WEBHOOK_ALLOW_HTTP=yes"
		echo "JETSTACK_WEBHOOK_ALLOW_PRIVATE=yes"
	fi
} >"$STATE/jetstack.env"
umask 022

"$STACK" install "$STATE"
"$STACK" migrate "$STATE" | tail -1
ADMIN="env JETSTACK_ENV_FILE=$STATE/jetstack.env $STATE/app/bin/jetstack-admin"
# the demo organisation and its accounts exist only in simulator mode: with
# real HubSpot credentials the operator creates their own (admin tool)
if [ -n "$SIM" ] && $ADMIN org create "Demo Agency" >/dev/null 2>&1; then
	echo "$DEMO_PASSWORD" | $ADMIN user create --org "Demo Agency" --email owner@demo.example --role owner >/dev/null
	echo "$DEMO_PASSWORD" | $ADMIN user create --org "Demo Agency" --email viewer@demo.example --role viewer >/dev/null
	# a second organisation with 300 client portals, display names and
	# labels, to try search, labels and paging at scale (rows only: no
	# HubSpot grant stands behind them, so the worker leaves them alone)
	if $ADMIN org create "Scale Agency" >/dev/null 2>&1; then
		echo "$DEMO_PASSWORD" | $ADMIN user create --org "Scale Agency" --email owner@scale.example --role owner >/dev/null
		psql -X -q -h "$(echo "$CONNINFO" | sed 's/.*host=\([^ ]*\).*/\1/')" -p "$PG_PORT" -U jetstack -d jetstack -c "
			WITH o AS (SELECT id FROM organisations WHERE name = 'Scale Agency'),
			p AS (INSERT INTO portals (org_id, hub_id, hub_domain, name, connection_type, status,
				status_reason, status_reason_code, status_changed_at)
			SELECT o.id, 30000000 + g, 'client' || g || '.example.com',
				(ARRAY['Northwind', 'Contoso', 'Fabrikam', 'Tailspin', 'Wingtip', 'Litware'])[1 + g % 6]
				|| ' ' || (ARRAY['Retail', 'Health', 'Labs', 'Group', 'Studio'])[1 + g % 5] || ' ' || g,
				(ARRAY['config_only', 'config_audit', 'audit_only'])[1 + g % 3],
				CASE WHEN g % 11 = 0 THEN 'needs_reconnection' WHEN g % 17 = 0 THEN 'disconnected'
				ELSE 'connected' END,
				CASE WHEN g % 11 = 0 THEN 'HubSpot no longer accepts this portal''s sign-in: reconnect it.'
				WHEN g % 17 = 0 THEN 'HubSpot revoked access: the app was removed in HubSpot.' ELSE '' END,
				CASE WHEN g % 11 = 0 THEN 'refresh_rejected' WHEN g % 17 = 0 THEN 'revoked_at_hubspot'
				ELSE '' END, now() - make_interval(hours => g)
			FROM o, generate_series(1, 300) g RETURNING id, org_id, hub_id)
			INSERT INTO portal_labels (portal_id, org_id, label)
			SELECT id, org_id, (ARRAY['EU', 'US', 'retainer', 'onboarding'])[1 + hub_id % 4] FROM p
			UNION ALL SELECT id, org_id, 'priority' FROM p WHERE hub_id % 7 = 0" >/dev/null
	fi
fi
# --- team (issue 17): a team of three in Demo Agency (owner, admin, viewer);
# the admin also belongs to Scale Agency (a viewer there), so signing in as
# them shows the organisation chooser.  Already there on a later run: kept.
if [ -n "$SIM" ]; then
	echo "$DEMO_PASSWORD" | $ADMIN user create --org "Demo Agency" --email admin@demo.example --role admin >/dev/null 2>&1 || true
	echo "$DEMO_PASSWORD" | $ADMIN user create --org "Scale Agency" --email admin@demo.example --role viewer >/dev/null 2>&1 || true
fi
# --- end team ---

"$STACK" app-start "$STATE"
"$STACK" nginx-start "$STATE" "$HTTP_PORT"
if [ -x "$STATE/app/bin/jetstack-worker" ]; then
	"$STACK" worker-start "$STATE"
fi
if [ -n "$SIM" ]; then
	/usr/bin/python3 "$ROOT/scripts/demo_seed.py" "http://127.0.0.1:$HTTP_PORT" "$SIM" \
		owner@demo.example "$DEMO_PASSWORD" >/dev/null
	# the demo's HubSpot-side changes are found by the next health check: due now
	psql -X -q -h "$(echo "$CONNINFO" | sed 's/.*host=\([^ ]*\).*/\1/')" -p "$PG_PORT" -U jetstack \
		-d jetstack -c "UPDATE portal_tokens SET access_expires_at = now() WHERE portal_id IN
			(SELECT id FROM portals WHERE hub_id IN (20001002, 20001004))" \
		-c "UPDATE portals SET next_health_at = now() WHERE hub_id = 20001005" >/dev/null
	if [ -x "$STATE/app/bin/jetstack-worker" ]; then
		(cd "$STATE" && JETSTACK_ENV_FILE="$STATE/jetstack.env" "$STATE/app/bin/jetstack-worker" --once \
			>>"$STATE/logs/worker.log" 2>&1) || true
	fi
	# imports into the asset library (the running worker takes them), and
	# one on the yellow portal, which fails at once
	/usr/bin/python3 "$ROOT/scripts/demo_seed.py" "http://127.0.0.1:$HTTP_PORT" "$SIM" \
		owner@demo.example "$DEMO_PASSWORD" imports >/dev/null || true
	# once they have finished, deployments of Acme's contact properties: to
	# Wayne (created, updated, unchanged and failed items) and to a yellow
	# portal, which fails at its first HubSpot call
	/usr/bin/python3 "$ROOT/scripts/demo_seed.py" "http://127.0.0.1:$HTTP_PORT" "$SIM" \
		owner@demo.example "$DEMO_PASSWORD" deploy >/dev/null || true
	# an audit of Acme (its users and company properties fire most rules),
	# waited for; the yellow Config + Audit portal offers Run audit disabled
	/usr/bin/python3 "$ROOT/scripts/demo_seed.py" "http://127.0.0.1:$HTTP_PORT" "$SIM" \
		owner@demo.example "$DEMO_PASSWORD" audits >/dev/null || true
	# a webhook endpoint for both kinds pointing at the local receiver
	# (started with the secret the product shows), one more import of Acme
	# whose end it is sent, waited for in the delivery log; an open
	# reconnect link on the yellow Config Only portal's page
	/usr/bin/python3 "$ROOT/scripts/demo_seed.py" "http://127.0.0.1:$HTTP_PORT" "$SIM" \
		owner@demo.example "$DEMO_PASSWORD" integrations "$STATE" >/dev/null || true
	# team: one pending invitation on the Team page
	/usr/bin/python3 "$ROOT/scripts/demo_seed.py" "http://127.0.0.1:$HTTP_PORT" "$SIM" \
		owner@demo.example "$DEMO_PASSWORD" team >/dev/null || true
fi
t1=$(date +%s.%N)

cat <<MSG

JetStack AI Client Accounts is running (started in $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s).

  Open      http://127.0.0.1:$HTTP_PORT
MSG
if [ -n "$SIM" ]; then
	cat <<MSG
  Sign in   owner@demo.example / $DEMO_PASSWORD   (Owner: can reconnect)
            admin@demo.example / $DEMO_PASSWORD   (Admin; also a Viewer in Scale Agency: chooses one)
            viewer@demo.example / $DEMO_PASSWORD  (Viewer: read only)
            owner@scale.example / $DEMO_PASSWORD  (Scale Agency: 300 portals with labels, to search)
  HubSpot   simulator at $SIM (demo portals; you are signed in there as alex@agency.example)
  Admin     JETSTACK_ENV_FILE=$STATE/jetstack.env $STATE/app/bin/jetstack-admin portal list --org "Demo Agency"
MSG
else
	cat <<MSG
  HubSpot   $HUBSPOT_API_BASE (client id $HUBSPOT_CLIENT_ID)
  Accounts  none are created with real HubSpot credentials; create yours:
            JETSTACK_ENV_FILE=$STATE/jetstack.env $STATE/app/bin/jetstack-admin org create "Your Agency"
            JETSTACK_ENV_FILE=$STATE/jetstack.env $STATE/app/bin/jetstack-admin user create --org "Your Agency" --email you@agency.example --role owner
MSG
fi
if [ -n "$MAIL_SINK" ]; then
	cat <<MSG
  Mail      a local sink keeps every message in $MAIL_SINK/ (the owner's digest of the demo's
            yellow and red portals arrives there within a minute)
MSG
fi
if [ -n "$HOOK_PORT" ]; then
	cat <<MSG
  Webhooks  a local receiver logs deliveries in $STATE/webhooks.jsonl (http://127.0.0.1:$HOOK_PORT/jetstack;
            this configuration allows http and loopback webhook URLs for it)
MSG
fi
cat <<MSG
  Logs      $STATE/logs/

Press Ctrl-C to stop.
MSG
while :; do
	sleep 1 &
	wait $! || true
	# `make run` itself was stopped (kill <pid of make>): stop with it
	if ! kill -0 "$PARENT" 2>/dev/null; then
		exit 0
	fi
	for p in app nginx; do
		if [ -f "$STATE/run/$p.pid" ] && ! kill -0 "$(cat "$STATE/run/$p.pid")" 2>/dev/null; then
			echo "make run: $p exited; see $STATE/logs/" >&2
			exit 1
		fi
	done
done

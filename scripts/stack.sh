#!/bin/sh
# The stack's parts, started and stopped by PID, all state under one
# directory.  Used by `make run` (STATE=var/) and by the tests (a temp dir).
#
#   stack.sh pg-start STATE PGPORT     private PostgreSQL cluster (as postgres)
#   stack.sh install STATE             copy programs, templates, static, sql
#   stack.sh migrate STATE             apply migrations
#   stack.sh app-start STATE [N [PORT]]
#                                      FastCGI program N (as www-data; default 1): on a
#                                      unix socket, or with PORT on 127.0.0.1:PORT as a
#                                      host of its own would listen (JETSTACK_SOCKET=:PORT)
#   stack.sh nginx-start STATE PORT [PORT1 PORT2 ...]
#                                      nginx with nginx/dev.conf.in: PORT balances over
#                                      every started program (upstream jetstack); PORTn,
#                                      when given, reaches program n only
#   stack.sh sim-start STATE [SEED]    HubSpot simulator on a free port
#   stack.sh smtp-start STATE          a local mail sink (STATE/mail) on a free port
#   stack.sh hook-port STATE           choose the demo webhook receiver's free port
#                                      (STATE/run/hook.port) before its URL is registered
#   stack.sh hook-start STATE SECRET   (re)start the receiver on that port, checking
#                                      signatures with SECRET, logging to STATE/webhooks.jsonl
#   stack.sh worker-start STATE [N]    worker N (default 1), running forever
#   stack.sh stop STATE NAME           stop one part by its pid file (app, app2, worker2...)
#   stack.sh down STATE                stop everything
#
# STATE/jetstack.env holds the configuration (written by the caller).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=/usr/lib/postgresql/15/bin
cmd=$1
STATE=$2
RUN=$STATE/run

die() { echo "stack: $*" >&2; exit 1; }

# A directory for sockets with a path short enough for sun_path.
sockdir() {
	if [ ${#STATE} -le 60 ]; then
		echo "$STATE/sock"
	else
		echo "/tmp/jetstack-$(printf %s "$STATE" | md5sum | cut -c1-10)"
	fi
}

wait_for() { # wait_for TEST... : up to 15 s
	i=0
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 150 ] && return 1
		sleep 0.1
	done
}

# alive PID: the process exists and is not a zombie (daemons are re-parented
# to PID 1, which may reap them late; kill -0 succeeds on a zombie)
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != "Z" ]
}

stop_pid() { # stop_pid NAME [SIGNAL]
	f=$RUN/$1.pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if [ -n "$pid" ] && alive "$pid"; then
		kill "-${2:-TERM}" "$pid" 2>/dev/null || true
		i=0
		while alive "$pid"; do
			i=$((i + 1))
			if [ $i -gt 100 ]; then kill -KILL "$pid" 2>/dev/null || true; fi
			[ $i -gt 130 ] && break
			sleep 0.1
		done
	fi
	rm -f "$f"
}

# The name of part $1's instance $2: app, app2, app3... (the first keeps the
# plain name, so a one-host stack is what it always was)
instance() {
	case "${2:-1}" in
	1) echo "$1" ;;
	*[!0-9]* | 0*) die "$1 number must be 1, 2, ...: $2" ;;
	*) echo "$1$2" ;;
	esac
}

# nginx's include files for the started FastCGI programs (STATE/run/app*.addr):
# hosts.conf, the upstream every request is balanced over, one upstream per
# program and the map from the port a request came in on to its upstream;
# listen.conf, the ports that reach one program each.
nginx_hosts() { # nginx_hosts PORT1 PORT2 ...
	{
		echo "# written by scripts/stack.sh nginx-start"
		echo "upstream jetstack {"
		for a in "$RUN"/app*.addr; do
			if [ -f "$a" ]; then echo "	server $(cat "$a");"; fi
		done
		echo "	keepalive 32;"
		echo "}"
		n=0
		for p in "$@"; do
			n=$((n + 1))
			a=$RUN/$(instance app $n).addr
			[ -f "$a" ] || die "port $p: FastCGI program $n is not started"
			printf 'upstream jetstack_%d {\n\tserver %s;\n\tkeepalive 32;\n}\n' $n "$(cat "$a")"
		done
		echo "map \$server_port \$jetstack_upstream {"
		echo "	default jetstack;"
		n=0
		for p in "$@"; do
			n=$((n + 1))
			echo "	$p jetstack_$n;"
		done
		echo "}"
	} >"$STATE/nginx/hosts.conf"
	for p in "$@"; do
		echo "listen 127.0.0.1:$p;"
	done >"$STATE/nginx/listen.conf"
}

# Let the service users traverse down to STATE (never read: o+x only).
traversable() {
	d=$STATE
	while [ "$d" != "/" ]; do
		if ! runuser -u postgres -- test -x "$d/." 2>/dev/null; then
			echo "stack: granting o+x on $d so postgres and www-data can reach $STATE" >&2
			chmod o+x "$d"
		fi
		d=$(dirname "$d")
	done
}

mkdir -p "$RUN" "$STATE/logs"
chmod 755 "$STATE" "$RUN" "$STATE/logs"
SOCK=$(sockdir)

case "$cmd" in
pg-start)
	PGPORT=$3
	traversable
	install -d -m 755 "$SOCK"
	if [ ! -f "$STATE/pgdata/PG_VERSION" ]; then
		install -d -o postgres -g postgres -m 700 "$STATE/pgdata"
		(cd "$STATE" && runuser -u postgres -- $PGBIN/initdb -D "$STATE/pgdata" -A trust \
			-U postgres -E UTF8 --locale=C.UTF-8 --no-sync >"$STATE/logs/initdb.log" 2>&1) ||
			die "initdb failed: see $STATE/logs/initdb.log"
		fresh=1
	else
		fresh=0
	fi
	install -d -o postgres -g postgres -m 755 "$SOCK/pg"
	[ -f "$STATE/logs/pg.log" ] || install -o postgres -g postgres -m 644 /dev/null "$STATE/logs/pg.log"
	chown postgres:postgres "$STATE/logs/pg.log"
	(cd "$STATE" && runuser -u postgres -- $PGBIN/pg_ctl -D "$STATE/pgdata" -l "$STATE/logs/pg.log" \
		-w -t 30 -o "-k $SOCK/pg -p $PGPORT -c listen_addresses='' -c fsync=off \
		-c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start \
		>/dev/null) || die "PostgreSQL did not start: see $STATE/logs/pg.log"
	head -1 "$STATE/pgdata/postmaster.pid" >"$RUN/pg.pid"
	if [ "$fresh" = 1 ]; then
		psql -X -q -v ON_ERROR_STOP=1 -h "$SOCK/pg" -p "$PGPORT" -U postgres -d postgres \
			-c "CREATE ROLE jetstack LOGIN" -c "CREATE DATABASE jetstack OWNER jetstack" >/dev/null
	fi
	echo "host=$SOCK/pg port=$PGPORT dbname=jetstack user=jetstack"
	;;
pg-stop)
	if [ -f "$STATE/pgdata/postmaster.pid" ]; then
		(cd "$STATE" && runuser -u postgres -- $PGBIN/pg_ctl -D "$STATE/pgdata" -m fast -w stop >/dev/null) || true
	fi
	rm -f "$RUN/pg.pid"
	;;
install)
	make -s -C "$ROOT" install PREFIX="$STATE/app" DESTDIR= >/dev/null
	chmod -R a+rX "$STATE/app"
	;;
migrate)
	(cd "$STATE" && JETSTACK_ENV_FILE="$STATE/jetstack.env" JETSTACK_SQL_DIR="$STATE/app/share/jetstack/sql" \
		"$STATE/app/bin/jetstack-admin" migrate)
	;;
app-start)
	NAME=$(instance app "${3:-}")
	PORT=${4:-}
	install -d -o www-data -g www-data -m 750 "$SOCK/app"
	chgrp www-data "$STATE/jetstack.env"
	chmod 640 "$STATE/jetstack.env"
	if [ -n "$PORT" ]; then
		LISTEN=127.0.0.1:$PORT
		ADDR=$LISTEN
	else
		LISTEN=$SOCK/app/$NAME.sock
		ADDR=unix:$LISTEN
		rm -f "$LISTEN"
	fi
	rm -f "$RUN/$NAME.addr"
	cd "$STATE"
	setpriv --reuid=www-data --regid=www-data --init-groups -- \
		env JETSTACK_ENV_FILE="$STATE/jetstack.env" JETSTACK_SOCKET="$LISTEN" \
		JETSTACK_TEMPLATE_DIR="$STATE/app/share/jetstack/templates" \
		"$STATE/app/lib/jetstack/cgi-bin/jetstack" >>"$STATE/logs/$NAME.log" 2>&1 &
	echo $! >"$RUN/$NAME.pid"
	if [ -n "$PORT" ]; then
		wait_for sh -c "ss -Hltn 'sport = :$PORT' | grep -q ."
	else
		wait_for test -S "$LISTEN"
	fi || die "the FastCGI program did not start: see $STATE/logs/$NAME.log"
	echo "$ADDR" >"$RUN/$NAME.addr"
	;;
nginx-start)
	PORT=$3
	shift 3
	install -d -m 755 "$STATE/nginx" "$STATE/nginx/logs" "$STATE/nginx/tmp"
	nginx_hosts "$@"
	sed -e "s|@STATE@|$STATE|g" -e "s|@PORT@|$PORT|g" \
		-e "s|@STATIC@|$STATE/app/share/jetstack/static|g" "$ROOT/nginx/dev.conf.in" >"$STATE/nginx/nginx.conf"
	rm -f "$STATE/nginx/logs/nginx.pid"
	nginx -p "$STATE/nginx" -c nginx.conf -g 'daemon on;' 2>>"$STATE/logs/nginx.log" ||
		die "nginx did not start: see $STATE/logs/nginx.log"
	wait_for test -s "$STATE/nginx/logs/nginx.pid" || die "nginx wrote no pid"
	cp "$STATE/nginx/logs/nginx.pid" "$RUN/nginx.pid"
	;;
sim-start)
	SEED=${3:-empty}
	rm -f "$RUN/sim.port"
	/usr/bin/python3 "$ROOT/tests/hubspot_sim.py" --port 0 --port-file "$RUN/sim.port" \
		--client-id="$HUBSPOT_CLIENT_ID" --client-secret="$HUBSPOT_CLIENT_SECRET" \
		--seed "$SEED" >>"$STATE/logs/sim.log" 2>&1 &
	echo $! >"$RUN/sim.pid"
	wait_for test -s "$RUN/sim.port" || die "the HubSpot simulator did not start: see $STATE/logs/sim.log"
	cat "$RUN/sim.port"
	;;
smtp-start)
	# a local mail sink for make run: each message a file in STATE/mail
	mkdir -p "$STATE/mail"
	rm -f "$RUN/smtp.out"
	/usr/bin/python3 "$ROOT/tests/smtp_server.py" --port 0 --maildir "$STATE/mail" \
		>"$RUN/smtp.out" 2>>"$STATE/logs/smtp.log" &
	echo $! >"$RUN/smtp.pid"
	wait_for grep -q listening "$RUN/smtp.out" || die "the mail sink did not start: see $STATE/logs/smtp.log"
	sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$RUN/smtp.out" | head -1
	;;
hook-port)
	# the port is known before the endpoint is registered (its URL names it)
	# and the receiver started once the product has shown its secret
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
		>"$RUN/hook.port.tmp" || die "no free port for the webhook receiver"
	mv "$RUN/hook.port.tmp" "$RUN/hook.port"
	cat "$RUN/hook.port"
	;;
hook-start)
	# a webhook receiver for make run (tests/webhook_receiver.py): every
	# delivery, with whether its signature verified, one line in STATE/webhooks.jsonl
	[ $# -ge 3 ] || die "hook-start STATE SECRET"
	[ -s "$RUN/hook.port" ] || die "no port chosen: run hook-port first"
	stop_pid hook
	rm -f "$RUN/hook.out"
	/usr/bin/python3 "$ROOT/tests/webhook_receiver.py" --port "$(cat "$RUN/hook.port")" --secret "$3" \
		--log "$STATE/webhooks.jsonl" >"$RUN/hook.out" 2>>"$STATE/logs/hook.log" &
	echo $! >"$RUN/hook.pid"
	wait_for grep -q listening "$RUN/hook.out" ||
		die "the webhook receiver did not start: see $STATE/logs/hook.log"
	sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$RUN/hook.out" | head -1
	;;
worker-start)
	NAME=$(instance worker "${3:-}")
	cd "$STATE"
	setpriv --reuid=www-data --regid=www-data --init-groups -- \
		env JETSTACK_ENV_FILE="$STATE/jetstack.env" "$STATE/app/bin/jetstack-worker" \
		>>"$STATE/logs/$NAME.log" 2>&1 &
	echo $! >"$RUN/$NAME.pid"
	;;
stop)
	stop_pid "$3" "${4:-TERM}"
	rm -f "$RUN/$3.addr" # a stopped program leaves the next nginx-start's upstream
	;;
down)
	[ -f "$RUN/nginx.pid" ] && stop_pid nginx QUIT
	for f in "$RUN"/worker*.pid "$RUN"/app*.pid; do
		if [ -f "$f" ]; then stop_pid "$(basename "$f" .pid)"; fi
	done
	rm -f "$RUN"/app*.addr
	stop_pid sim
	stop_pid smtp
	stop_pid hook
	"$0" pg-stop "$STATE"
	;;
*)
	die "unknown command $cmd"
	;;
esac

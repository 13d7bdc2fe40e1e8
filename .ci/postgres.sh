#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback, owned by the postgres
# user, in a temporary directory, and prints the DSN the tests read from
# TROUPE_TEST_POSTGRES. Debian's postgresql package provides the binaries;
# .ci/run installs it (as root) when missing. Usage:
#   export TROUPE_TEST_POSTGRES=$(.ci/postgres.sh start)   ...   .ci/postgres.sh stop
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=${TROUPE_PG_DIR:-/tmp/troupe-ci-postgres}
# A free port unless one is given: a fixed one may still be held by an
# earlier run's server on a shared machine.
port=${TROUPE_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
case "${1:-}" in
start)
	rm -rf "$dir"
	mkdir -p "$dir"
	chown postgres "$dir"
	su postgres -c "$bin/initdb -D $dir/data -A trust -U postgres" >/dev/null
	if ! su postgres -c "$bin/pg_ctl -D $dir/data -l $dir/log -w -t 120 -o '-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off' start" >/dev/null; then
		cat "$dir/log" >&2
		exit 1
	fi
	echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	su postgres -c "$bin/pg_ctl -D $dir/data -w -m fast stop" >/dev/null || true
	rm -rf "$dir"
	;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac

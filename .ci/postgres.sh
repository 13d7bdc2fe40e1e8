#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback, owned by the postgres
# user, in a temporary directory, and prints the DSN the tests read from
# TROUPE_TEST_POSTGRES. Debian's postgresql package provides the binaries;
# .ci/run installs it (as root) when missing. Usage:
#   export TROUPE_TEST_POSTGRES=$(.ci/postgres.sh start)   ...   .ci/postgres.sh stop
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=${TROUPE_PG_DIR:-/tmp/troupe-ci-postgres}
port=${TROUPE_PG_PORT:-55432}
case "${1:-}" in
start)
	rm -rf "$dir"
	mkdir -p "$dir"
	chown postgres "$dir"
	su postgres -c "$bin/initdb -D $dir/data -A trust -U postgres" >/dev/null
	su postgres -c "$bin/pg_ctl -D $dir/data -l $dir/log -w -o '-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off' start" >/dev/null
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

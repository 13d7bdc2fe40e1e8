#!/bin/sh
# Reload under load, over loopback: wrk keeps 64 connections busy on
# /hello for 30 s while the configuration is reloaded 20 times (POST /reload),
# each reload adding or removing /extra and changing the options of /hello's
# header stage. A rate-limit bucket drained before the reloads must still be
# drained after them. Run from the repository's root:
#
#	sh cmd/server/testdata/reload-wrk.sh
#
# Needs wrk and curl. PORT and ADMIN pick the ports (18080, 19090).
set -eu
PORT=${PORT:-18080}
ADMIN=${ADMIN:-19090}
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT

config() { # version
	cat <<YAML
server: {max_in_flight: 4096}
stages:
  version: {kind: header, options: {name: X-Version, value: "$1"}}
  drained: {kind: rate_limit, options: {rate: 0.001, burst: 1, key: "header:X-Key"}}
routes:
  - {method: GET, path: /hello, handler: hello, stages: [version]}
  - {method: GET, path: /limited, handler: hello, stages: [drained]}
YAML
	if [ $(($1 % 2)) -eq 1 ]; then
		echo '  - {method: GET, path: /extra, handler: hello}'
	fi
}

go build -o "$dir/server" ./cmd/server
config 0 >"$dir/c.yaml"
"$dir/server" -config "$dir/c.yaml" -addr 127.0.0.1:$PORT -admin-addr 127.0.0.1:$ADMIN 2>"$dir/log" &
pid=$!
until curl -s -o /dev/null 127.0.0.1:$ADMIN/readyz; do sleep 0.1; done

echo "bucket before: $(curl -s -o /dev/null -w '%{http_code}' -H 'X-Key: k' 127.0.0.1:$PORT/limited)" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Key: k' 127.0.0.1:$PORT/limited) (want 200 429)"
wrk -t2 -c64 -d30s --latency http://127.0.0.1:$PORT/hello >"$dir/wrk" &
wrkpid=$!
codes=""
for v in $(seq 20); do
	sleep 1.4
	config "$v" >"$dir/c.yaml"
	codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -X POST 127.0.0.1:$ADMIN/reload)"
	if [ $((v % 2)) -eq 1 ]; then want=200; else want=404; fi
	got=$(curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:$PORT/extra)
	[ "$got" = "$want" ] || echo "after reload $v: /extra $got, want $want"
done
wait $wrkpid
echo "reloads:$codes"
cat "$dir/wrk"
echo "bucket after: $(curl -s -o /dev/null -w '%{http_code}' -H 'X-Key: k' 127.0.0.1:$PORT/limited) (want 429)"
echo "reloaded lines in the log: $(grep -c 'configuration reloaded' "$dir/log")"

#!/usr/bin/env bash
# Starts a throwaway hub and runs the README's buf curl tour against it, failing on any error.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${LINKER_TOUR_PORT:-3947}
home=$(mktemp -d)
LINKER_HOME="$home" node bin/linker.js hub --port "$port" >"$home/hub.out" 2>"$home/hub.err" &
hub=$!
trap 'kill $hub 2>/dev/null || true; wait $hub 2>/dev/null || true; rm -rf "$home"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$home/hub.out" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$home/hub.out"
HUB=http://127.0.0.1:$port
buf() { node_modules/.bin/buf "$@"; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

echo "--- services and methods by reflection"
buf curl --protocol grpc --http2-prior-knowledge --list-services "$HUB" | tee "$home/services"
grep -q linker.v1.LinkerService "$home/services"
buf curl --protocol grpc --http2-prior-knowledge --list-methods "$HUB" | grep -c linker.v1.LinkerService/

echo "--- health"
buf curl --protocol grpc --http2-prior-knowledge "$HUB/grpc.health.v1.Health/Check" | grep -q SERVING

echo "--- register two agents"
ALICE=$(buf curl --protocol grpc --http2-prior-knowledge "$HUB/linker.v1.LinkerService/Register" -d '{"name":"alice"}' | json '["sessionToken"]')
BOB=$(buf curl "$HUB/linker.v1.LinkerService/Register" -d '{"name":"bob"}' | json '["sessionToken"]')

echo "--- send (gRPC) and read (Connect JSON with curl)"
buf curl --protocol grpc --http2-prior-knowledge "$HUB/linker.v1.LinkerService/Send" \
  -H "Authorization: Bearer $ALICE" -d '{"recipient":"bob","body":"hello from alice"}'
curl -sS --fail-with-body -X POST "$HUB/linker.v1.LinkerService/ListMessages" \
  -H 'Content-Type: application/json' -H "Authorization: Bearer $BOB" -d '{"unreadOnly":true}' | tee "$home/inbox"
grep -q "hello from alice" "$home/inbox"

echo "--- follow a Subscribe stream"
timeout 5 node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge "$HUB/linker.v1.LinkerService/Subscribe" \
  -H "Authorization: Bearer $BOB" -d '{"types":["EVENT_TYPE_MESSAGE"]}' >"$home/stream" 2>&1 || true
grep -q "hello from alice" "$home/stream"
grep -q caughtUp "$home/stream"

echo "--- memory compare-and-set"
buf curl "$HUB/linker.v1.LinkerService/PutMemory" -H "Authorization: Bearer $ALICE" \
  -d '{"key":"api/schema","value":"v1","expectedRevision":"0"}'
if buf curl "$HUB/linker.v1.LinkerService/PutMemory" -H "Authorization: Bearer $BOB" \
  -d '{"key":"api/schema","value":"v2","expectedRevision":"0"}' 2>"$home/cas"; then
  echo "a second create-only put must fail" >&2
  exit 1
fi
grep -q failed_precondition "$home/cas"
echo "--- watching: the dashboard, metrics, readiness and status (README: Watching your agents)"
curl -sS --fail "$HUB/" | grep -q '<div id="app">'
curl -s "$HUB/metrics" | grep '^linker_messages_stored_total' | tee "$home/metrics"
grep -q 'kind="text",priority="normal"} [1-9]' "$home/metrics"
test "$(curl -s "$HUB/readyz")" = ready
test "$(curl -s "$HUB/healthz")" = ok
LINKER_HOME="$home" node bin/linker.js --hub "$HUB" --name watcher status | tee "$home/status"
grep -q '^version ' "$home/status"
LINKER_HOME="$home" node bin/linker.js --hub "$HUB" --name watcher status --json | json '["hub"]["version"]'
off_port=$((port + 1))
LINKER_HOME="$home" node bin/linker.js hub --port "$off_port" --store memory --dashboard off >"$home/off.out" 2>/dev/null &
off=$!
for _ in $(seq 1 100); do grep -q "listening on" "$home/off.out" 2>/dev/null && break; sleep 0.1; done
test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$off_port/")" = 404
curl -s "http://127.0.0.1:$off_port/" | grep -q "serves no dashboard"
kill $off; wait $off 2>/dev/null || true
echo "README tour passed"

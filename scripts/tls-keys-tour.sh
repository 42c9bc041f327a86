#!/usr/bin/env bash
# Replays the README's "Beyond loopback: TLS and agent keys" commands: a hub bound beyond
# loopback with a self-signed CA and agent keys only, keys issued on the hub's machine, and two
# agents (each with its own home folder, standing in for its own machine) that trust the copied
# CA and act with their keys. Fails on any error, on a missing message, or if a key acts as a
# name it does not bind.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tour-helpers.sh
work=$(mktemp -d)
put_linker_on_path "$work/bin"
hub_pid=
cleanup() {
  [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(free_port)
# The name other machines use for the hub: this machine's host name (in the certificate) when it resolves.
host=$(hostname)
getent hosts "$host" >/dev/null || host=localhost

echo "--- the hub's machine"
export LINKER_HOME=$work/hub-home
linker hub --host 0.0.0.0 --port "$port" --tls-self-signed --auth keys >"$work/hub.out" 2>"$work/hub.err" &
hub_pid=$!
for _ in $(seq 1 150); do grep -q "listening on" "$work/hub.out" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on https://" "$work/hub.out" || { cat "$work/hub.out" "$work/hub.err" >&2; exit 1; }
grep -q "TLS certificate fingerprint (SHA-256)" "$work/hub.out"
key_of() { sed -n 's/^ *\(lkk_[^ ]*\)$/\1/p'; }
alice_key=$(linker --hub "https://127.0.0.1:$port" --ca "$LINKER_HOME/tls/ca.pem" key create alice | key_of)
bob_key=$(linker --hub "https://127.0.0.1:$port" --ca "$LINKER_HOME/tls/ca.pem" key create bob | key_of)
test -n "$alice_key" && test -n "$bob_key"
cp "$LINKER_HOME/tls/ca.pem" "$work/ca.pem"

echo "--- bob's machine"
export LINKER_HOME=$work/bob-home LINKER_CA=$work/ca.pem LINKER_KEY=$bob_key
linker --hub "https://$host:$port" --name bob register

echo "--- alice's machine"
export LINKER_HOME=$work/alice-home LINKER_KEY=$alice_key
linker --hub "https://$host:$port" --name alice send bob "over TLS, as alice"
# alice's key binds alice only.
if linker --hub "https://$host:$port" --name bob send alice "impersonated" 2>"$work/denied"; then
  echo "alice's key acted as bob" >&2
  exit 1
fi
grep -q 'does not bind the name "bob"' "$work/denied"
# Without the CA the hub's certificate is not trusted.
if LINKER_CA= linker --hub "https://$host:$port" --name alice ls 2>/dev/null; then
  echo "a client trusted the hub without its CA" >&2
  exit 1
fi

echo "--- bob reads it"
export LINKER_HOME=$work/bob-home LINKER_KEY=$bob_key
linker --hub "https://$host:$port" --name bob inbox --mark-read | tee "$work/inbox"
grep -q "over TLS, as alice" "$work/inbox"
echo "tls and keys tour passed"

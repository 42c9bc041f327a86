#!/usr/bin/env bash
# Replays the README's "Across machines" commands: a throwaway PostgreSQL 15 cluster stands in
# for the database machine, two `linker hub --store postgres` replicas on two free ports for two
# machines, and alice and bob list both replicas. Fails on any error or missing message.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tour-helpers.sh
pgbin=/usr/lib/postgresql/15/bin
work=$(mktemp -d)
put_linker_on_path "$work/bin"
chmod 777 "$work"
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else bash -c "$1"; fi; }
pgport=$(free_port)
as_postgres "$pgbin/initdb -D '$work/pg' -A scram-sha-256 -U postgres --pwfile=<(echo postgres) --no-sync" >/dev/null 2>&1 ||
  as_postgres "echo postgres > '$work/pw' && $pgbin/initdb -D '$work/pg' -A scram-sha-256 -U postgres --pwfile='$work/pw' --no-sync" >/dev/null
as_postgres "$pgbin/pg_ctl -D '$work/pg' -o '-p $pgport -k $work -c listen_addresses=127.0.0.1' -l '$work/pg.log' -w start" >/dev/null
replicas=()
cleanup() {
  for pid in "${replicas[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_postgres "$pgbin/pg_ctl -D '$work/pg' -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export PGHOST=$work PGPORT=$pgport PGPASSWORD=postgres
export LINKER_HOME=$work/home

echo "--- the database"
su_env="PGHOST=$PGHOST PGPORT=$PGPORT PGPASSWORD=$PGPASSWORD"
as_postgres "$su_env psql -q -c \"CREATE ROLE linker LOGIN PASSWORD 'change-me'\""
as_postgres "$su_env createdb --owner linker linker"
export LINKER_POSTGRES_URL=postgres://linker:change-me@127.0.0.1:$pgport/linker

echo "--- two replicas on it"
a=$(free_port)
b=$(free_port)
linker hub --store postgres --port "$a" >"$work/a.out" 2>"$work/a.err" &
replicas+=($!)
linker hub --store postgres --port "$b" >"$work/b.out" 2>"$work/b.err" &
replicas+=($!)
for out in "$work/a.out" "$work/b.out"; do
  for _ in $(seq 1 150); do grep -q "listening on" "$out" 2>/dev/null && break; sleep 0.1; done
  grep -q "listening on" "$out" || { cat "$work"/*.err >&2; exit 1; }
done

echo "--- bob follows its events; alice sends through the other replica"
linker --hub "http://127.0.0.1:$a,http://127.0.0.1:$b" --name bob tail >"$work/tail" 2>"$work/tail.err" &
tail_pid=$!
replicas+=($tail_pid)
for _ in $(seq 1 100); do linker --hub "http://127.0.0.1:$a" ls 2>/dev/null | grep -q "^bob .*online" && break; sleep 0.1; done
linker --hub "http://127.0.0.1:$b,http://127.0.0.1:$a" --name alice send bob "the schema changed"
for _ in $(seq 1 100); do grep -q "the schema changed" "$work/tail" && break; sleep 0.1; done
grep -q "the schema changed" "$work/tail"

echo "--- the first replica stops; bob's stream moves to the second"
kill "${replicas[0]}"
wait "${replicas[0]}" || true
if (exec 3<>"/dev/tcp/127.0.0.1/$a") 2>/dev/null; then echo "the first replica still listens after it was stopped" >&2; exit 1; fi
linker --hub "http://127.0.0.1:$b,http://127.0.0.1:$a" --name alice send bob "still here"
for _ in $(seq 1 150); do grep -q "still here" "$work/tail" && break; sleep 0.1; done
grep -q "still here" "$work/tail" || { cat "$work/tail" "$work/tail.err" >&2; exit 1; }
test "$(grep -c "the schema changed" "$work/tail")" = 1
linker --hub "http://127.0.0.1:$a,http://127.0.0.1:$b" --name bob inbox --mark-read | tee "$work/inbox"
grep -q "still here" "$work/inbox"
grep -q "the schema changed" "$work/inbox"
echo "across-machines tour passed"

#!/usr/bin/env bash
# CI for docs/scaling_out.rst: a PostgreSQL 15 primary and its streaming replica (made with
# pg_basebackup -R), on ports 5440 and 5441 in a throwaway directory, and PgBouncer in transaction
# pooling mode on port 6440 in front of the primary; all of it torn down at the end. Debian's
# packages are installed where missing. About three minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pgbouncer >/dev/null || [ ! -x /usr/lib/postgresql/15/bin/pg_ctl ]; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15 pgbouncer
fi
if ! command -v redis-server >/dev/null; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server
fi
bin=/usr/lib/postgresql/15/bin
dir=$(mktemp -d)
chown postgres "$dir"
as_postgres() { su postgres -s /bin/bash -c "$*"; }
stop() {
    [ -f "$dir/pgbouncer.pid" ] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
    for cluster in standby primary; do
        [ -d "$dir/$cluster" ] && as_postgres "$bin/pg_ctl -D $dir/$cluster -m immediate stop" >/dev/null 2>&1 || true
    done
    rm -rf "$dir"
}
trap stop EXIT

# Django's TIME_ZONE is UTC: with the server's the same, Django sets nothing in the session.
server_options="-c listen_addresses='' -c unix_socket_directories=$dir -c timezone=UTC -c fsync=off"
as_postgres "$bin/initdb -D $dir/primary --auth=trust -U postgres" >/dev/null
as_postgres "$bin/pg_ctl -D $dir/primary -l $dir/primary.log -w -o \"-p 5440 $server_options\" start" >/dev/null
as_postgres "$bin/createuser -h $dir -p 5440 -U postgres -s root"
as_postgres "$bin/pg_basebackup -h $dir -p 5440 -U postgres -D $dir/standby -R -X stream"
as_postgres "$bin/pg_ctl -D $dir/standby -l $dir/standby.log -w -o \"-p 5441 $server_options\" start" >/dev/null

cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$dir port=5440
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = 6440
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 10
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
echo '"root" ""' >"$dir/users.txt"
chown postgres "$dir/pgbouncer.ini" "$dir/users.txt"
as_postgres "pgbouncer -d $dir/pgbouncer.ini"

primary="postgres://root@/ci?host=$dir&port=5440"
echo "--- Read replicas: each query on its alias, against a streaming replica (and what its lag does)"
REPLICA_URL="postgres://root@/ci?host=$dir&port=5441" DATABASE_URL="$primary" \
    .venv/bin/python -m pytest -q -rs entity_event/tests/test_replicas.py \
    entity_event/tests/live/test_listener.py::test_with_reads_on_a_replica_streams_listen_and_recount_on_the_primary \
    | tee "$dir/replicas.log"
grep -q "^10 passed" "$dir/replicas.log"

echo "--- Through PgBouncer in transaction pooling mode: routing, inbox, delivery, preferences, web"
# --reuse-db: the test database is left behind (PgBouncer keeps connections to it); it goes with
# the throwaway cluster.
DATABASE_URL="postgres://root@127.0.0.1:6440/ci_pooled" \
    .venv/bin/python -m pytest -q --reuse-db \
    entity_event/tests/test_routing.py entity_event/tests/test_routing_streaming.py \
    entity_event/tests/test_routing_concurrency.py entity_event/tests/test_inbox.py \
    entity_event/tests/test_creation_lock.py entity_event/tests/test_preferences.py \
    entity_event/tests/delivery entity_event/tests/web -m "not workers"

echo "--- Workers on several machines: four db_worker processes, each through PgBouncer, one killed mid-batch"
DATABASE_URL="postgres://root@127.0.0.1:6440/ci_pooled" \
    .venv/bin/python -m pytest -q --reuse-db entity_event/tests/delivery/test_workers.py | tee "$dir/workers.log"
grep -q "^1 passed" "$dir/workers.log"

echo "--- RQ workers through PgBouncer, on a real Redis server (four of them, one killed mid-batch)"
redis-server --port 6391 --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no --daemonize yes >/dev/null
trap 'redis-cli -p 6391 shutdown nosave >/dev/null 2>&1 || true; stop' EXIT
until redis-cli -p 6391 ping >/dev/null 2>&1; do sleep 0.1; done
DATABASE_URL="postgres://root@127.0.0.1:6440/ci_pooled" TASKS_BACKEND=rq REDIS_URL="redis://127.0.0.1:6391/0" RQ_ASYNC=1 \
    .venv/bin/python -m pytest -q --reuse-db entity_event/tests/delivery/test_rq_workers.py | tee "$dir/rq.log"
grep -q "^2 passed" "$dir/rq.log"

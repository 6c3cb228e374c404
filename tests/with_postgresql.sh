#!/usr/bin/env bash
# Run a command (the test suite) with a throwaway PostgreSQL server, so that the storage,
# editing and rights tests also run on PostgreSQL: `tests/with_postgresql.sh CMD ARGS…`.
#
# The cluster lives in a temporary folder, listens on 127.0.0.1 only (a free port) and on a
# socket in that folder, trusts local connections, and is stopped and removed when the command
# ends, even on failure. CTG_TEST_DATABASE_URL points the tests at it (tests/conftest.py gives
# each test a schema of its own). PostgreSQL itself comes from Debian (`make test-deps`).
# When CTG_TEST_DATABASE_URL is already set, or PostgreSQL is not installed, the command runs
# as it is (the PostgreSQL variants of the tests are then not collected, or use that server).
set -euo pipefail

if [ -n "${CTG_TEST_DATABASE_URL:-}" ]; then
    exec "$@"
fi
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    echo "PostgreSQL absent (paquet Debian postgresql) : tests sur SQLite seulement." >&2
    exec "$@"
fi

# The server refuses to run as root: it then runs as the Debian package's `postgres` user.
AS=()
if [ "$(id -u)" = 0 ]; then
    AS=(runuser -u postgres --)
fi
DIR=$(mktemp -d "${TMPDIR:-/tmp}/ctg-postgresql.XXXXXX")
chmod 700 "$DIR"
if [ "$(id -u)" = 0 ]; then
    chown postgres: "$DIR"
fi

cleanup() {
    "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
# Durability is not tested here (the kill tests use SQLite): fsync off keeps the tests fast.
if ! "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DIR \
            -c max_connections=300 -c fsync=off -c synchronous_commit=off \
            -c full_page_writes=off" >/dev/null; then
    cat "$DIR/server.log" >&2
    exit 1
fi
export CTG_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') de test sur 127.0.0.1:$PORT."
set +e
"$@"
status=$?
exit $status

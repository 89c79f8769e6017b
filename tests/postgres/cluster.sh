#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: a temp data directory, a free port on 127.0.0.1, run as a non-root OS
# user (CI runs as root; PostgreSQL refuses to). Sourced by build.sh:
#   postgres_start   installs PostgreSQL from Debian when missing, starts the cluster, exports AFTERWARD_TEST_POSTGRES
#                    (a connection string) and AFTERWARD_TEST_POSTGRES_CTL (a command: "restart" restarts the server)
#   postgres_stop    stops it and removes the directory
postgres_start() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "Installing postgresql (the durable-task tests use a real server)"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  AFTERWARD_PG_DIR=$(mktemp -d /tmp/afterward-pg.XXXXXX)
  chmod 755 "$AFTERWARD_PG_DIR"
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$AFTERWARD_PG_DIR"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$AFTERWARD_PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
  local options="-p $port -k $AFTERWARD_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300"
  "${as[@]}" "$bin/pg_ctl" -D "$AFTERWARD_PG_DIR/data" -o "$options" -l "$AFTERWARD_PG_DIR/log" -w start >/dev/null
  cat > "$AFTERWARD_PG_DIR/ctl" <<CTL
#!/usr/bin/env bash
exec ${as[*]} $bin/pg_ctl -D $AFTERWARD_PG_DIR/data -o "$options" -l $AFTERWARD_PG_DIR/log -w -m fast "\$@"
CTL
  chmod 755 "$AFTERWARD_PG_DIR/ctl"
  export AFTERWARD_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=20"
  export AFTERWARD_TEST_POSTGRES_CTL="$AFTERWARD_PG_DIR/ctl"
  export AFTERWARD_PG_DIR
  echo "PostgreSQL for the tests on 127.0.0.1:$port ($AFTERWARD_PG_DIR)"
}

postgres_stop() {
  if [ -n "${AFTERWARD_PG_DIR:-}" ] && [ -d "$AFTERWARD_PG_DIR" ]; then
    "$AFTERWARD_PG_DIR/ctl" stop >/dev/null 2>&1 || true
    rm -rf "$AFTERWARD_PG_DIR"
  fi
}

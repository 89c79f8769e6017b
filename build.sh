#!/usr/bin/env bash
# Afterward's one entry point for newcomers and CI.
#   ./build.sh test    restore, build Release, start a throwaway PostgreSQL, run every test project (the default)
#   ./build.sh bench [filter]   the BenchmarkDotNet micro-benchmarks (results under benchmarks/results/)
#   ./build.sh bench http       server overhead from outside the process, with wrk (benchmarks/http-overhead.sh)
#   ./build.sh bench durable    durable tasks vs Hangfire on SQLite, and vs graphile-worker and Hangfire on PostgreSQL
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# The dashboard is bundled with npm at build time, and its tests drive the system chromium through chromedriver.
# The benchmarks load servers with wrk from another process.
ensure_packages() {
  local missing=()
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  if [ "${1:-test}" = bench ]; then
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  else
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  fi
  if ((${#missing[@]})); then
    echo "Installing ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

command="${1:-test}"
case "$command" in
  test)
    ensure_packages
    # A throwaway PostgreSQL cluster for the PostgreSQL store's tests (installed from Debian when missing), stopped at exit.
    source tests/postgres/cluster.sh
    postgres_start
    trap postgres_stop EXIT
    dotnet restore Afterward.slnx
    dotnet build Afterward.slnx -c Release --no-restore
    dotnet test Afterward.slnx -c Release --no-build --logger "console;verbosity=minimal"
    ;;
  bench)
    shift || true
    ensure_packages bench
    case "${1:-}" in
      http) exec benchmarks/http-overhead.sh "${@:2}" ;;
      durable) benchmarks/durable-sqlite.sh "${@:2}"; exec benchmarks/durable-postgres.sh "${@:2}" ;;
    esac
    dotnet run -c Release --project benchmarks/Afterward.Benchmarks -- --filter "${@:-*}" \
      --exporters github --artifacts benchmarks/BenchmarkDotNet.Artifacts
    ;;
  *)
    echo "usage: $0 [test|bench [filter|http|durable]]" >&2
    exit 2
    ;;
esac

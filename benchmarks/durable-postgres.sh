#!/usr/bin/env bash
# Durable tasks on PostgreSQL, side by side with graphile-worker 0.18 (node, local queue 500, batched completion) and
# Hangfire (Hangfire.Core + Hangfire.PostgreSql), on one throwaway PostgreSQL server with default durability (fsync on)
# and the same trivial job; then enqueue → start on another instance.
#   benchmarks/durable-postgres.sh [rounds=3] [tasks=20000]   (writes benchmarks/results/durable-postgres.md)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
tasks=${2:-20000}
source tests/postgres/cluster.sh
postgres_start >/dev/null
trap postgres_stop EXIT
command -v node >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get update -qq; $sudo apt-get install -y -qq nodejs npm >/dev/null; }
(cd benchmarks/graphile-worker && npm ci --no-audit --no-fund --silent)
dotnet build benchmarks/Afterward.DurableBench -c Release -v:q -nologo >/dev/null
bench="dotnet benchmarks/Afterward.DurableBench/bin/Release/net10.0/Afterward.DurableBench.dll"
cs="$AFTERWARD_TEST_POSTGRES"
url=$(python3 -c "import sys; d=dict(p.split('=',1) for p in sys.argv[1].split(';') if p); print(f\"postgres://{d['Username']}@{d['Host']}:{d['Port']}/{d['Database']}\")" "$cs")
out=$(mktemp)
{
  echo "# Durable tasks on PostgreSQL vs graphile-worker and Hangfire.PostgreSql"
  echo
  echo "Command: \`benchmarks/durable-postgres.sh $rounds $tasks\`, $(date -u +%Y-%m-%d), $(nproc) cores, PostgreSQL $(psql --version | awk '{print $3}') (fsync on, synchronous_commit on), all processes on this machine."
  echo "Each round enqueues the tasks first, then starts the workers; tasks/s counts from the first start to the last success."
  echo
  echo '```'
  for ((r = 1; r <= rounds; r++)); do
    $bench pg "$tasks" 1 "$cs"
    $bench pg "$tasks" 2 "$cs"
    node benchmarks/graphile-worker/bench.mjs "$url" "$tasks"
  done
  $bench hangfire-pg 2000 "$cs"
  $bench pg-latency 300 "$cs"
  echo '```'
} | tee "$out"
mv "$out" benchmarks/results/durable-postgres.md

#!/usr/bin/env bash
# Durable tasks on SQLite, side by side with Hangfire (Hangfire.Core + Hangfire.Storage.SQLite) on the same disk,
# and an endpoint enqueueing one durable task vs one in-memory task under wrk from another process.
#   benchmarks/durable-sqlite.sh [rounds=3]   (writes benchmarks/results/durable-sqlite.md)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get update -qq; $sudo apt-get install -y -qq wrk; }
dotnet build benchmarks/Afterward.DurableBench -c Release -v:q -nologo >/dev/null
bench="dotnet benchmarks/Afterward.DurableBench/bin/Release/net10.0/Afterward.DurableBench.dll"
out=$(mktemp)
{
  echo "# Durable tasks on SQLite vs Hangfire"
  echo
  echo "Command: \`benchmarks/durable-sqlite.sh $rounds\`, $(date -u +%Y-%m-%d), $(nproc) cores, temp files on the same disk."
  echo
  echo '```'
  for ((r = 1; r <= rounds; r++)); do $bench afterward 20000; done
  for ((r = 1; r <= rounds; r++)); do $bench hangfire 2000; done
  $bench start-latency 300
  echo '```'
  echo
  echo "Requests/s of \`POST /work\` adding one durable task vs one in-memory no-op task (\`wrk -t1 -c32 -d5s\`, each variant its own server process, ABAB):"
  echo
  echo '```'
  lua=$(mktemp --suffix=.lua); echo 'wrk.method = "POST"' > "$lua"
  for ((r = 1; r <= rounds; r++)); do
    for variant in durable memory; do
      port=$((20000 + RANDOM % 20000))
      BENCH_URLS="http://127.0.0.1:$port" $bench server $variant > /dev/null &
      pid=$!
      for _ in $(seq 100); do curl -s -o /dev/null -X POST "http://127.0.0.1:$port/work" && break; sleep 0.1; done
      wrk -t1 -c32 -d2s -s "$lua" "http://127.0.0.1:$port/work" > /dev/null
      rps=$(wrk -t1 -c32 -d5s -s "$lua" "http://127.0.0.1:$port/work" | awk '/Requests\/sec/ {print $2}')
      echo "round $r $variant: $rps requests/s"
      kill $pid; wait $pid 2>/dev/null || true
    done
  done
  echo '```'
} | tee "$out"
mv "$out" benchmarks/results/durable-sqlite.md

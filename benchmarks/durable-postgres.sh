#!/usr/bin/env bash
# Durable tasks on PostgreSQL, side by side with graphile-worker 0.18 (node, local queue 500, batched completion) and
# Hangfire (Hangfire.Core + Hangfire.PostgreSql), on one throwaway PostgreSQL server with default durability (fsync on)
# and the same trivial job; then enqueue → start on another instance. Each side is measured cold (a worker process that
# just started) and warm (as a long-running service: each Afterward worker process first runs batches of <warm> tasks
# of its own in another schema until a batch compiles no more methods, at most 20; graphile-worker first runs
# 10 × <warm> jobs of its own); the summary gives the median of the rounds and the ratios of the medians.
#   benchmarks/durable-postgres.sh [rounds=3] [tasks=20000] [warm=20000]   (writes benchmarks/results/durable-postgres.md, or $OUT)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
tasks=${2:-20000}
warm=${3:-20000}
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
  echo "Command: \`benchmarks/durable-postgres.sh $rounds $tasks $warm\`, $(date -u +%Y-%m-%d), $(nproc) cores, PostgreSQL $(psql --version | awk '{print $3}') (fsync on, synchronous_commit on), all processes on this machine."
  echo "Each round enqueues the tasks first, then starts the workers; tasks/s counts from the first start to the last success."
  echo
  echo '```'
  for ((r = 1; r <= rounds; r++)); do
    $bench pg "$tasks" 1 "$cs" 0
    node benchmarks/graphile-worker/bench.mjs "$url" "$tasks" 0
    $bench pg "$tasks" 1 "$cs" "$warm"
    node benchmarks/graphile-worker/bench.mjs "$url" "$tasks" $((10 * warm))
    $bench pg "$tasks" 2 "$cs" "$warm"
  done
  $bench hangfire-pg 2000 "$cs"
  $bench pg-latency 300 "$cs"
  echo '```'
} | tee "$out"
python3 - "$out" <<'SUMMARY' | tee -a "$out"
import re, statistics, sys
rates = {}
for line in open(sys.argv[1]):
    r = re.search(r"(cold|warm) \(.*?\): (\d+) (tasks|jobs)/s", line)
    if not r:
        continue
    who = "graphile-worker" if line.startswith("graphile") else "afterward, " + re.search(r"(\d) worker process", line).group(1) + " worker(s)"
    rates.setdefault((who, r.group(1)), []).append(int(r.group(2)))
print()
print("| | cold: median (rounds) | warm: median (rounds) |")
print("|---|---|---|")
median = {k: statistics.median(v) for k, v in rates.items()}
for who in ["afterward, 1 worker(s)", "afterward, 2 worker(s)", "graphile-worker"]:
    cells = [f"{median[(who, h)]:,.0f} ({' / '.join(f'{x:,}' for x in rates[(who, h)])})" if (who, h) in rates else "" for h in ("cold", "warm")]
    print(f"| {who} | {cells[0]} | {cells[1]} |")
for h in ("cold", "warm"):
    a, g = median.get(("afterward, 1 worker(s)", h)), median.get(("graphile-worker", h))
    if a and g:
        print(f"\nAfterward (1 worker process) / graphile-worker, {h}: {a / g:.2f} ×")
SUMMARY
mv "$out" "${OUT:-benchmarks/results/durable-postgres.md}"

#!/usr/bin/env bash
# Server overhead measured from outside: each variant is its own server process (benchmarks/Afterward.HttpBench), the
# load comes from wrk in another process, variants alternate in every round (A B C … A B C …), and each round's ratio
# to its own baseline is printed; the summary is the median ratio over the rounds. Every other round runs the variants
# in reverse order (A B C, C B A, …), so that a drift of the machine during a round does not favour one side. On a
# machine with 2 or more cores the server runs on CPU 0 and wrk and the receiver on the others (PIN=0 turns that
# off): they then do not steal each other's cycles, which is most of the round-to-round spread.
#   benchmarks/http-overhead.sh [rounds=5] [seconds=5]   (writes benchmarks/results/http-overhead.md)
#   ONLY=hello|hello-at-once|otlp|otlp-at-once|task|task-at-once|peers benchmarks/http-overhead.sh …   runs that one
#   comparison and prints it (writes nothing)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
seconds=${2:-5}
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get update -qq; $sudo apt-get install -y -qq wrk >/dev/null; }
dotnet build benchmarks/Afterward.HttpBench -c Release -v:q -nologo >/dev/null
server_cpus="" load_cpus=""
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ]; then server_cpus="taskset -c 0"; load_cpus="taskset -c 1-$(($(nproc) - 1))"; fi
bench="dotnet benchmarks/Afterward.HttpBench/bin/Release/net10.0/Afterward.HttpBench.dll"
wrk="$load_cpus wrk"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

receiver_url="http://127.0.0.1:$(free_port)"
$load_cpus $bench receiver "$receiver_url" > /dev/null &
receiver=$!
trap 'kill $receiver 2>/dev/null || true' EXIT

# start <variant> <path> [rounds=45]: starts the variant on a free port (sets $url and $pid), waits for it, and warms
# it up under load until the JIT has settled: the number of compiled methods unchanged over three 2 s rounds (at
# most 45 rounds, 90 s). On
# a saturated core the tiering thread gets little time: tier-1 code keeps arriving for half a minute or more, so a
# fixed 2 s warm-up measured variants partly in tier-0 code, and penalised the ones that run more code.
start() {
  url="http://127.0.0.1:$(free_port)"
  $server_cpus $bench "$1" "$url" "$receiver_url/$1/" > /dev/null &
  pid=$!
  for _ in $(seq 200); do curl -s -o /dev/null "$url$2" && break; sleep 0.05; done
  local compiled="" now same=0
  for _ in $(seq "${3:-45}"); do
    $wrk -t1 -c32 -d2s "$url$2" > /dev/null
    now=$(curl -s "$url/jit")
    if [ "$now" = "$compiled" ]; then same=$((same + 1)); else same=0; fi
    [ "$same" -ge 2 ] && break
    compiled=$now
  done
}

stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; }

# median <number>...: the median, three decimals.
median() { python3 -c "import statistics,sys; print(f'{statistics.median(map(float, sys.argv[1:])):.3f}')" "$@"; }

# cpu_ticks <pid>: the server's CPU time so far (user + system, all threads), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure <url> <path> <pid>: "requests/s CPU-µs/request" over $seconds s against a running, warm server. The CPU
# time per request is the server's own (from /proc), so it does not move with what wrk or a neighbour takes.
measure() {
  local before after output
  before=$(cpu_ticks "$3")
  output=$($wrk -t1 -c32 -d"${seconds}s" "$1$2")
  after=$(cpu_ticks "$3")
  awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    /requests in/ {requests = $1} /Requests\/sec/ {rps = $2}
    END {printf "%s %.2f\n", rps, ticks / hz * 1e6 / requests}' <<< "$output"
}

# compare <title> <baseline> <path> <variant>...: rounds of every variant in turn, ratios to the round's baseline.
compare() {
  local title=$1 baseline=$2 path=$3; shift 3
  local variants=("$baseline" "$@")
  echo "## $title"
  echo
  echo "GET $path, \`wrk -t1 -c32 -d${seconds}s\` after a warm-up until the JIT settled. Each round: requests/s and the server's CPU µs per"
  echo "request (user + system time from /proc over the run, divided by the requests served), then in parentheses the ratios to"
  echo "$baseline in the same round: requests/s variant / $baseline, and CPU per request $baseline / variant (both above 1 when the variant is cheaper)."
  echo
  echo '```'
  # Every variant runs at once (each its own process, idle while another is loaded), warmed once; the rounds then
  # alternate the load between them.
  declare -A urls=() pids=()
  for v in "${variants[@]}"; do start "$v" "$path"; urls[$v]=$url; pids[$v]=$pid; done
  declare -A ratios=() cpu_ratios=()
  for ((r = 1; r <= rounds; r++)); do
    declare -A got=() cpu=()
    line="round $r:"
    order=("${variants[@]}")
    if ((r % 2 == 0)); then order=(); for ((i = ${#variants[@]} - 1; i >= 0; i--)); do order+=("${variants[$i]}"); done; fi
    for v in "${order[@]}"; do read -r "got[$v]" "cpu[$v]" < <(measure "${urls[$v]}" "$path" "${pids[$v]}"); done
    for v in "${variants[@]}"; do
      ratio=$(python3 -c "print(f'{${got[$v]}/${got[$baseline]}:.3f}')")
      cpu_ratio=$(python3 -c "print(f'{${cpu[$baseline]}/${cpu[$v]}:.3f}')")
      ratios[$v]="${ratios[$v]:-} $ratio"
      cpu_ratios[$v]="${cpu_ratios[$v]:-} $cpu_ratio"
      line="$line $v ${got[$v]}/s ${cpu[$v]} µs ($ratio, $cpu_ratio)"
    done
    echo "$line"
  done
  for v in "${variants[@]}"; do pid=${pids[$v]}; stop; done
  echo '```'
  echo
  echo "| variant | median ratio to $baseline, requests/s | rounds | median ratio, server CPU per request ($baseline's / variant's) | rounds |"
  echo "|---|---|---|---|---|"
  for v in "$@"; do
    # shellcheck disable=SC2086 # the rounds are a space-separated list
    echo "| $v | $(median ${ratios[$v]}) |${ratios[$v]} | $(median ${cpu_ratios[$v]}) |${cpu_ratios[$v]} |"
  done
  echo
}

# concurrently <title> <baseline> <path> <variant>...: every variant loaded at the same moment, each by its own wrk,
# all servers on the same core. Whatever the machine does during a round (another tenant's steal, a frequency step)
# then hits every variant alike, and the server's CPU time per request compares their cost directly. Two processes
# of one build still differ by a few per cent for as long as they live (code and heap placement), so the servers are
# started afresh $RUNS times (default 3), each run warmed and measured over the rounds; the summary is the median of
# the runs' medians. A second bare server ("bare-again") shows how far two identical variants land apart.
concurrently() {
  local title=$1 baseline=$2 path=$3; shift 3
  local variants=("$baseline" "$@") runs=${RUNS:-3}
  echo "## $title, loaded at once"
  echo
  echo "GET $path: every variant's server on one core; each round loads all of them at the same time for ${seconds}s (one"
  echo "\`wrk -t1 -c16\` each) after a warm-up until the JIT settled; $runs runs of $rounds rounds, the servers started afresh for each run."
  echo "Per variant: its server's CPU µs per request (user + system time from /proc over the requests it served), then the"
  echo "ratio $baseline's / variant's (above 1 when the variant is cheaper)."
  echo
  echo '```'
  declare -A run_medians=()
  local v run
  for ((run = 1; run <= runs; run++)); do
    declare -A urls=() pids=() ratios=()
    for v in "${variants[@]}"; do start "$v" "$path"; urls[$v]=$url; pids[$v]=$pid; done
    for ((r = 1; r <= rounds; r++)); do
      declare -A before=() cost=()
      local dir loads=()
      dir=$(mktemp -d)
      declare -A spans=()
      for v in "${variants[@]}"; do before[$v]=$(cpu_ticks "${pids[$v]}"); spans[$v]=$(curl -s "$receiver_url/spans/$v"); done
      for v in "${variants[@]}"; do $wrk -t1 -c16 -d"${seconds}s" "${urls[$v]}$path" > "$dir/$v" & loads+=($!); done
      wait "${loads[@]}"
      for v in "${variants[@]}"; do
        cost[$v]=$(awk -v ticks=$(($(cpu_ticks "${pids[$v]}") - before[$v])) -v hz="$(getconf CLK_TCK)" \
          '/requests in/ {printf "%.2f", ticks / hz * 1e6 / $1}' "$dir/$v")
        # Spans the receiver got from this server during the round, per request it served (OTLP variants only).
        spans[$v]=$(awk -v n=$(($(curl -s "$receiver_url/spans/$v") - spans[$v])) '/requests in/ {printf "%.2f", n / $1}' "$dir/$v")
      done
      line="run $run round $r:"
      for v in "${variants[@]}"; do
        ratio=$(python3 -c "print(f'{${cost[$baseline]}/${cost[$v]}:.3f}')")
        ratios[$v]="${ratios[$v]:-} $ratio"
        line="$line $v ${cost[$v]} µs ($ratio)"
        [ "${spans[$v]}" != "0.00" ] && line="$line ${spans[$v]} spans/request"
      done
      rm -r "$dir"
      echo "$line"
    done
    for v in "${variants[@]}"; do pid=${pids[$v]}; stop; done
    # shellcheck disable=SC2086 # the rounds are a space-separated list
    for v in "$@"; do run_medians[$v]="${run_medians[$v]:-} $(median ${ratios[$v]})"; done
  done
  echo '```'
  echo
  echo "| variant | median of the runs' median ratios, CPU per request ($baseline's / variant's) | each run's median |"
  echo "|---|---|---|"
  for v in "$@"; do
    # shellcheck disable=SC2086 # the runs are a space-separated list
    echo "| $v | $(median ${run_medians[$v]}) |${run_medians[$v]} |"
  done
  echo
}

# allocated <variant> <path>: bytes the server allocates per request (GC.GetTotalAllocatedBytes around a 3 s wrk run).
allocated() {
  start "$1" "$2" 3
  local before after requests
  before=$(curl -s "$url/allocated")
  requests=$($wrk -t1 -c32 -d3s "$url$2" | awk '/requests in/ {print $1}')
  after=$(curl -s "$url/allocated")
  stop
  echo "| $1 | $2 | $(( (after - before) / requests )) |"
}

# peer <variant>: schedule → start latency of one task per request, idle (500 sequential requests) and under wrk
# load, then the in-process rate: 20,000 tasks scheduled in a loop inside the server, and how fast they start.
peer() {
  start "$1" /plain 3 # not /timed: a slow peer would still be working through the warm-up's tasks
  curl -s -o /dev/null "$url/drained"
  $load_cpus python3 - "$url" <<'PY'
import http.client, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); c = http.client.HTTPConnection(u.hostname, u.port)
for _ in range(500):
    c.request("GET", "/timed"); c.getresponse().read()
PY
  read -r _ idle50 idle99 _ _ < <(curl -s "$url/drained"; echo)
  local requests
  requests=$($wrk -t1 -c32 -d"${seconds}s" "$url/timed" | awk '/Requests\/sec/ {print $2}')
  read -r _ load50 load99 completed lost < <(curl -s "$url/drained"; echo)
  local enqueue
  enqueue=$(curl -s "$url/burst?n=20000")
  read -r _ _ _ started burst_lost < <(curl -s "$url/drained"; echo)
  stop
  echo "| $1 | $idle50 / $idle99 | $requests | $completed | $load50 / $load99 | $enqueue | $started | $((lost + burst_lost)) |"
}

if [ -n "${ONLY:-}" ]; then
  case $ONLY in
    hello) compare "Hello world" bare /plain afterward dashboard ;;
    hello-at-once) concurrently "Hello world" bare /plain bare-again afterward dashboard ;;
    otlp) compare "With OTLP export (to the same receiver process)" otel-otlp /plain afterward-otlp otel bare ;;
    otlp-at-once) concurrently "With OTLP export (to the same receiver process)" otel-otlp /plain afterward-otlp otel bare ;;
    task) compare "An endpoint scheduling one no-op task" task-oncompleted /task task-afterward task-afterward-singleton task-oncompleted-recorded task-oncompleted-services task-taskrun ;;
    task-at-once) concurrently "An endpoint scheduling one no-op task" task-oncompleted /task task-afterward task-afterward-singleton task-oncompleted-recorded task-oncompleted-services task-taskrun ;;
    peers) compare "Background-task peers, one task per request" channel /task task-afterward coravel hangfire ;;
    *) echo "ONLY: one of hello, hello-at-once, otlp, otlp-at-once, task, task-at-once, peers" >&2; exit 2 ;;
  esac
  exit 0
fi

out=$(mktemp)
{
  echo "# Overhead from outside the process"
  echo
  echo "Command: \`benchmarks/http-overhead.sh $rounds $seconds\`, $(date -u +%Y-%m-%d), $(nproc) cores, .NET $(dotnet --version), $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}'). Server and wrk share the machine's cores; the OTLP receiver is a third process."
  echo
  # The overhead comparisons run loaded at once only: sequential rounds swing by ±10 % on a shared machine (ONLY=hello,
  # otlp or task still runs them that way).
  concurrently "Hello world" bare /plain bare-again afterward dashboard
  concurrently "With OTLP export (to the same receiver process)" otel-otlp /plain afterward-otlp otel bare
  concurrently "An endpoint scheduling one no-op task" task-oncompleted /task task-afterward task-afterward-singleton task-oncompleted-recorded task-oncompleted-services task-taskrun
  compare "Background-task peers, one task per request" channel /task task-afterward coravel hangfire
  echo "## Background-task peers: schedule → start latency and in-process rates"
  echo
  echo "Latency from the handler's schedule call to the task's first line, p50 / p99 in µs: idle (500 sequential"
  echo "requests, one task each) and under \`wrk -t1 -c32 -d${seconds}s\`; tasks started per second under that load, from"
  echo "the first task scheduled to the last one started (a peer that starts its tasks late is slower than its requests/s). In process: 20,000 tasks scheduled in a loop"
  echo "inside one request (schedule calls per second), then tasks started per second from the first schedule call to"
  echo "the last start. Not started: tasks that had not started 120 s after the load (should be 0)."
  echo
  echo "| peer | idle p50 / p99 µs | requests/s with a task each | tasks started/s under load | under load p50 / p99 µs | in-process schedules/s | in-process starts/s | not started |"
  echo "|---|---|---|---|---|---|---|---|"
  for v in task-afterward channel coravel hangfire; do peer $v; done
  echo
  echo "## Allocated in the server per request"
  echo
  echo "| variant | path | bytes/request |"
  echo "|---|---|---|"
  for v in bare afterward dashboard; do allocated $v /plain; done
  for v in task-oncompleted task-oncompleted-recorded task-oncompleted-services task-afterward task-afterward-singleton task-taskrun channel coravel; do allocated $v /task; done
} | tee "$out"
mv "$out" benchmarks/results/http-overhead.md

# Shared by the cluster/ scripts: where things live and how to reach a node.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN="${SHOAL_RUN_DIR:-$ROOT/cluster/run}"
CONFIGURATION="${SHOAL_CONFIGURATION:-debug}"
REST_BASE="${SHOAL_REST_BASE:-8080}"
CLUSTER_BASE="${SHOAL_CLUSTER_BASE:-7000}"
HOST=127.0.0.1

shoal_bin() { echo "$ROOT/.build/$CONFIGURATION/shoal"; }
rest_port() { echo $((REST_BASE + $1 - 1)); }
cluster_port() { echo $((CLUSTER_BASE + $1 - 1)); }

# Builds shoal unless SHOAL_SKIP_BUILD=1 (Tests/run sets it: its `swift build --build-tests`
# already built the binary, and building the product alone would recompile without testability).
build_shoal() {
  if [ "${SHOAL_SKIP_BUILD:-0}" = 1 ] && [ -x "$(shoal_bin)" ]; then return 0; fi
  (cd "$ROOT" && swift build -c "$CONFIGURATION" --product shoal >&2)
}

# running PID: the process exists and is not a zombie (killed, not yet reaped by its parent).
running() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds, failing after SECONDS.
wait_for() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then echo "timed out after ${limit}s waiting for $what" >&2; return 1; fi
    sleep 0.2
  done
}

# start_node N [extra args...]: starts node N in the background, records its pid.
start_node() {
  local n=$1; shift
  local data="$RUN/node$n"
  mkdir -p "$data"
  local args=(start --name "node$n" --data-dir "$data" --zone "z$n"
    --rest "$HOST:$(rest_port "$n")" --bind "$HOST:$(cluster_port "$n")")
  # Node 1 founds the cluster and makes its secret. A shell that sourced an earlier
  # cluster's openrc still exports SHOAL_SECRET_FILE, which `shoal start` would take as
  # its option and then fail to read (that cluster's folder is gone).
  local env_clear=(env -u SHOAL_SECRET_FILE -u SHOAL_CLUSTER_SECRET -u SHOAL_JOIN)
  if [ "$n" != 1 ]; then
    args+=(--join "$HOST:$(cluster_port 1)" --secret-file "$RUN/node1/cluster.secret")
  fi
  "${env_clear[@]}" "$(shoal_bin)" "${args[@]}" "$@" >>"$RUN/node$n.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$RUN/node$n.pid"
  wait_for 60 "node$n /healthcheck" curl -fsS "http://$HOST:$(rest_port "$n")/healthcheck" || {
    tail -20 "$RUN/node$n.log" >&2; return 1; }
}

# rings_hold COUNT: every node 1..COUNT answers with a ring of at least COUNT devices.
rings_hold() {
  local n
  for n in $(seq 1 "$1"); do
    [ "$(curl -fsS "http://$HOST:$(rest_port "$n")/cluster" 2>/dev/null | grep -o '"balance_percent"' | wc -l)" -ge "$1" ] || return 1
  done
}

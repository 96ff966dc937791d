# shellcheck shell=bash
# The local stack: PostgreSQL, Temporal dev server, MinIO and clamd, plus whatever app processes
# a script adds with start_bg. Everything runs in the background with its log and pid under
# $RUN_DIR and is waited on until it is ready. Source after lib/env.sh, then set RUN_DIR and the
# ports (TEMPORAL_PORT TEMPORAL_UI_PORT S3_PORT S3_CONSOLE_PORT CLAMD_PORT) and DATABASE_URL.

STACK_PIDS=()          # in start order; stop_all stops them in reverse
declare -A STACK_NAME  # pid -> name, for messages
declare -A STACK_LOG   # name -> log file

STACK_READY_TIMEOUT=${STACK_READY_TIMEOUT:-60}  # seconds a service gets to become ready
STACK_STOP_TIMEOUT=${STACK_STOP_TIMEOUT:-15}    # seconds a process gets to exit after SIGTERM

say() { printf '  %-12s %s\n' "$1" "$2"; }
die() { echo "error: $*" >&2; exit 1; }

# A throwaway stack for test or bench runs: fixed ports from a base digit (1 -> 17233, 19000,
# 13310, 13000 ...) and its own database, which is dropped and recreated. Fixed on purpose: a
# DATABASE_URL or port inherited from a dev shell must never be dropped or reused.
use_throwaway_stack() {
  local name=$1 digit=$2
  RUN_DIR="$INTAKE_ROOT/.run/$name"
  TEMPORAL_PORT=${digit}7233 TEMPORAL_UI_PORT=${digit}8233
  S3_PORT=${digit}9000 S3_CONSOLE_PORT=${digit}9001
  CLAMD_PORT=${digit}3310
  PORT=${digit}3000
  PAGE_PORT=${digit}3080
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/intake_$name
  unset TEMPORAL_ADDRESS S3_ENDPOINT CLAMD_HOST WORK_DIR
  LOG_LEVEL=${LOG_LEVEL:-warn}
  stack_export_app_env
}

# Starts a throwaway stack from nothing (see use_throwaway_stack), migrated, with `on_exit` as the
# EXIT trap so it is stopped however the run ends. Earlier runs leave nothing that could skew it.
start_throwaway_stack() {
  local on_exit=$1
  mkdir -p "$RUN_DIR"
  stack_stop_leftovers
  rm -rf "$RUN_DIR"
  mkdir -p "$RUN_DIR"
  # shellcheck disable=SC2064  # the handler's name is fixed now, on purpose
  trap "$on_exit" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM HUP
  ensure_postgres fresh
  ensure_redis
  start_temporal
  start_minio
  start_clamd
  # The API does not migrate on start (scripts and the container entry point do).
  npm run migrate --silent
}

# The app's environment, derived from the stack's ports. Values already in the environment win.
stack_export_app_env() {
  export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:$TEMPORAL_PORT}"
  export TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
  export S3_ENDPOINT="${S3_ENDPOINT:-http://127.0.0.1:$S3_PORT}"
  export S3_REGION="${S3_REGION:-us-east-1}"
  export S3_BUCKET="${S3_BUCKET:-intake}"
  export S3_ACCESS_KEY_ID="${S3_ACCESS_KEY_ID:-intake}"
  export S3_SECRET_ACCESS_KEY="${S3_SECRET_ACCESS_KEY:-intake-secret-key}"
  export S3_FORCE_PATH_STYLE="${S3_FORCE_PATH_STYLE:-true}"
  export CLAMD_HOST="${CLAMD_HOST:-127.0.0.1}"
  export CLAMD_PORT
  export DATABASE_URL PORT
  # Links the API serves itself (HLS playlists) start with this.
  export PUBLIC_API_URL="${PUBLIC_API_URL:-http://127.0.0.1:$PORT}"
  # The app requires >= 16 characters.
  export ADMIN_TOKEN="${ADMIN_TOKEN:-dev-admin-token-local}"
  export LOG_LEVEL="${LOG_LEVEL:-info}"
  # Per stack, so dev and test runs never share scratch files.
  export WORK_DIR="${WORK_DIR:-$RUN_DIR/work}"
  # The stack's own web pages (the browser tests' page server; later the demo page) live on
  # PAGE_PORT: the API and MinIO answer CORS for that origin unless CORS_ORIGINS says otherwise.
  export INTAKE_PAGE_ORIGIN="http://127.0.0.1:$PAGE_PORT"
  export CORS_ORIGINS="${CORS_ORIGINS-$INTAKE_PAGE_ORIGIN}"
  # Rate-limit counters live in the machine's Redis; a prefix per stack keeps dev, test slots and
  # bench runs from counting each other's requests.
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
  export REDIS_KEY_PREFIX="${REDIS_KEY_PREFIX:-intake-$(basename "$RUN_DIR")}"
  # Webhooks may reach only public addresses; the dev sink, the bench's counter and the tests'
  # receivers listen on loopback. Set it empty to run the stack with no exception.
  export WEBHOOK_ALLOWED_PRIVATE_HOSTS="${WEBHOOK_ALLOWED_PRIVATE_HOSTS-127.0.0.1/32}"
}

# A process is running unless it is gone or a zombie (our exited children stay zombies until
# reaped, and `kill -0` still succeeds on those).
is_running() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

# Processes a previous run left behind (say, after `kill -9` of dev.sh) hold the ports; stop the
# ones that are ours, recognised by the INTAKE_RUN_DIR marker start_bg puts in their environment.
stack_stop_leftovers() {
  local file pid files=()
  # Newest pid file first (reverse start order), so the app stops before Temporal.
  mapfile -t files < <(ls -t "$RUN_DIR"/*.pid 2>/dev/null)
  for file in "${files[@]}"; do
    pid=$(<"$file")
    if is_running "$pid" && tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "INTAKE_RUN_DIR=$RUN_DIR"; then
      echo "stopping leftover $(basename "$file" .pid) (pid $pid) from an earlier run"
      stop_pid "$pid"
    fi
    rm -f "$file"
  done
}

# start_bg NAME LOG CMD...: runs CMD in its own session, so a Ctrl-C reaches only the calling
# script, which then stops everything in order. LOG holds this run's output; the pid goes to NAME.pid.
start_bg() {
  local name=$1 log=$2; shift 2
  INTAKE_RUN_DIR="$RUN_DIR" setsid "$@" >"$log" 2>&1 </dev/null &
  STACK_PIDS+=("$!")
  STACK_NAME[$!]=$name
  STACK_LOG[$name]=$log
  echo "$!" >"$RUN_DIR/$name.pid"
}

fail_with_log() { # name message
  local log=${STACK_LOG[$1]:-}
  echo "error: $1 $2" >&2
  if [ -n "$log" ] && [ -s "$log" ]; then
    echo "--- last lines of $log:" >&2
    tail -n 25 "$log" >&2
  fi
  exit 1
}

# wait_ready NAME CHECK...: polls CHECK until it succeeds; fails early if the process died.
wait_ready() {
  local name=$1; shift
  local pid started=$SECONDS
  pid=$(<"$RUN_DIR/$name.pid")
  until "$@" >/dev/null 2>&1; do
    is_running "$pid" || fail_with_log "$name" "exited during startup"
    ((SECONDS - started < STACK_READY_TIMEOUT)) || fail_with_log "$name" "not ready after ${STACK_READY_TIMEOUT}s"
    sleep 0.25
  done
  say "$name" "ready in $((SECONDS - started))s"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free_ports() { # name port...
  local name=$1 port; shift
  for port in "$@"; do
    port_in_use "$port" && die "$name: port $port is already in use (another stack running? see .run/*/*.pid)"
  done
  return 0
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

# --- Temporal dev server; --db-filename makes workflows survive a restart.
# The dev server reads each shard's transfer queue at 20 reads/s by default, which adds ~45 ms to
# every workflow and activity task once a few are in flight, and spreads a task queue over four
# partitions (a poller on one can wait seconds for a task on another). One process, one partition.
TEMPORAL_DISPATCH_CONFIG=(
  --dynamic-config-value history.transferProcessorMaxPollRPS=1000
  --dynamic-config-value matching.numTaskqueueReadPartitions=1
  --dynamic-config-value matching.numTaskqueueWritePartitions=1
)
# The custom search attributes the workflows set (SEARCH_ATTRIBUTES in workflows/visibility.ts;
# test/unit/search-attributes.spec.ts keeps the two lists equal). A real cluster registers them
# once with `temporal operator search-attribute create` (docs/operations.md).
INTAKE_SEARCH_ATTRIBUTES=(
  TenantId=Keyword UploadId=Keyword MediaKind=Keyword Stage=Keyword UploadStatus=Keyword ErrorCode=Keyword PipelineVersion=Int
)
start_temporal() {
  local attribute registered=()
  for attribute in "${INTAKE_SEARCH_ATTRIBUTES[@]}"; do registered+=(--search-attribute "$attribute"); done
  require_free_ports temporal "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT"
  # Eager activity execution hands an activity to the worker in the reply that schedules it,
  # saving a matching round trip (~45 ms here) per pipeline step; production servers want it too.
  start_bg temporal "$RUN_DIR/temporal.log" temporal server start-dev \
    --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --db-filename "$RUN_DIR/temporal.db" --namespace "${TEMPORAL_NAMESPACE:-default}" --log-level warn \
    --metrics-port "${TEMPORAL_SERVER_METRICS_PORT:-0}" \
    --dynamic-config-value system.enableActivityEagerExecution=true \
    "${TEMPORAL_DISPATCH_CONFIG[@]}" "${registered[@]}"
  wait_ready temporal temporal_serving
}

# A user's temporal CLI profile (~/.config/temporalio, TEMPORAL_* env) must not redirect the check.
temporal_serving() {
  temporal operator cluster health --address "127.0.0.1:$TEMPORAL_PORT" --command-timeout 2s \
    --disable-config-file --disable-config-env | grep -q SERVING
}

# --- MinIO, then the app's bucket, its notifications and the user upload URLs are signed with.
# Bucket notifications: s3:ObjectCreated:* under incoming/ go to the API's /v1/storage-events (how
# form uploads are noticed without a complete call). The API starts after MinIO; MinIO starts
# anyway and keeps events in the queue directory while the endpoint is down, replaying them (every
# 3 s) until it answers 2xx. Without a queue directory they would be dropped.
start_minio() {
  local target=INTAKE  # the webhook target's id; its ARN is arn:minio:sqs::INTAKE:webhook
  require_free_ports minio "$S3_PORT" "$S3_CONSOLE_PORT"
  mkdir -p "$RUN_DIR/minio-data" "$RUN_DIR/minio-events"
  export STORAGE_EVENTS_TOKEN="${STORAGE_EVENTS_TOKEN:-dev-storage-events-token}"
  # A user that may only write under incoming/ (docker/minio/upload-signer-policy.json): every URL
  # handed to clients is signed with it, so a URL cannot be turned into a read or copy of anything.
  # Set both empty to sign with the root credentials (the API warns).
  export S3_PRESIGN_ACCESS_KEY_ID="${S3_PRESIGN_ACCESS_KEY_ID-intake-uploads}"
  export S3_PRESIGN_SECRET_ACCESS_KEY="${S3_PRESIGN_SECRET_ACCESS_KEY-intake-uploads-secret-key}"
  start_bg minio "$RUN_DIR/minio.log" env \
    MINIO_ROOT_USER="$S3_ACCESS_KEY_ID" MINIO_ROOT_PASSWORD="$S3_SECRET_ACCESS_KEY" MINIO_UPDATE=off \
    MINIO_API_CORS_ALLOW_ORIGIN="${CORS_ORIGINS:-*}" \
    "MINIO_NOTIFY_WEBHOOK_ENABLE_$target=on" \
    "MINIO_NOTIFY_WEBHOOK_ENDPOINT_$target=http://127.0.0.1:$PORT/v1/storage-events" \
    "MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_$target=$STORAGE_EVENTS_TOKEN" \
    "MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_$target=$RUN_DIR/minio-events" \
    minio server "$RUN_DIR/minio-data" \
    --address "127.0.0.1:$S3_PORT" --console-address "127.0.0.1:$S3_CONSOLE_PORT"
  wait_ready minio http_ok "http://127.0.0.1:$S3_PORT/minio/health/ready"
  STORAGE_EVENTS_ARN="arn:minio:sqs::$target:webhook" node "$INTAKE_ROOT/scripts/ensure-bucket.mjs"
  [ -z "$S3_PRESIGN_ACCESS_KEY_ID" ] || ensure_upload_signer
}

# mc's admin commands are idempotent: the policy and user are (re)written on every start.
ensure_upload_signer() {
  local policy="$RUN_DIR/upload-signer-policy.json"
  sed "s|arn:aws:s3:::intake/|arn:aws:s3:::$S3_BUCKET/|" "$INTAKE_ROOT/docker/minio/upload-signer-policy.json" >"$policy"
  (
    export MC_CONFIG_DIR="$RUN_DIR/mc" MC_HOST_local="http://$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY@127.0.0.1:$S3_PORT"
    mc admin policy create local intake-upload-signer "$policy" &&
      mc admin user add local "$S3_PRESIGN_ACCESS_KEY_ID" "$S3_PRESIGN_SECRET_ACCESS_KEY" &&
      mc admin policy attach local intake-upload-signer --user "$S3_PRESIGN_ACCESS_KEY_ID"
  ) >"$RUN_DIR/mc.log" 2>&1 || { cat "$RUN_DIR/mc.log" >&2; die "could not create the upload-signing user in MinIO"; }
  say uploads-key "$S3_PRESIGN_ACCESS_KEY_ID may only write under incoming/"
}

# --- clamd with only the EICAR test signatures: real scanning behaviour, no signature download.
# Two signatures, as real databases have: the EICAR file's hash (.hdb, the exact 68-byte file) and
# its body (.ndb, the string anywhere in a file, e.g. appended to a JPEG). The scanning policy
# (limits, alerts) is the compose stack's, copied from docker/clamav/clamd.conf.
start_clamd() {
  local dir="$RUN_DIR/clamav"
  local shared="$INTAKE_ROOT/docker/clamav"
  require_free_ports clamd "$CLAMD_PORT"
  mkdir -p "$dir/db" "$dir/tmp"
  echo '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature' >"$dir/db/test.hdb"
  cp "$shared/eicar-body.ndb" "$dir/db/eicar-body.ndb"
  # No User directive: clamd keeps the uid that starts it, so it can always read this directory.
  {
    cat <<EOF
Foreground yes
DatabaseDirectory $dir/db
TemporaryDirectory $dir/tmp
TCPSocket $CLAMD_PORT
TCPAddr 127.0.0.1
LogFile $RUN_DIR/clamd.log
LogTime yes
PidFile $dir/clamd.pid
EOF
    sed -n '/^# === Scanning policy ===/,$p' "$shared/clamd.conf"
  } >"$dir/clamd.conf"
  grep -q '^StreamMaxLength ' "$dir/clamd.conf" || die "no scanning policy in $shared/clamd.conf"
  # clamd's own LogFile holds the verdicts; its console (config errors, limit banner) goes apart.
  start_bg clamd "$RUN_DIR/clamd.console.log" clamd --config-file="$dir/clamd.conf"
  wait_ready clamd clamd_pong
}

clamd_pong() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$CLAMD_PORT"
    printf 'zPING\0' >&3
    IFS= read -r -t 2 -d '' reply <&3
    [ "$reply" = PONG ]
  )
}

# --- Redis: a system service on every machine of this kind, like PostgreSQL; we only check it.
# The API keeps tus locks and rate-limit counters there (REDIS_URL).
ensure_redis() {
  local url=${REDIS_URL:-redis://127.0.0.1:6379} hostport host port started=$SECONDS
  hostport=${url#*://}; hostport=${hostport##*@}; hostport=${hostport%%/*}
  host=${hostport%:*}; port=${hostport##*:}; [ "$port" != "$hostport" ] || port=6379
  until redis_pong "$host" "$port"; do
    ((SECONDS - started < STACK_READY_TIMEOUT)) || die "Redis is not answering at $host:$port (REDIS_URL)"
    sleep 0.25
  done
  say redis "ready ($host:$port)"
}

redis_pong() {
  (
    exec 3<>"/dev/tcp/$1/$2"
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 reply <&3
    [ "${reply%$'\r'}" = +PONG ]
  ) 2>/dev/null
}

# --- PostgreSQL: a system service, started only if it is down; we never stop it.
# The maintenance URL is DATABASE_URL with the database replaced by "postgres".
database_name() { local url=${DATABASE_URL%%\?*}; echo "${url##*/}"; }
maintenance_url() { local url=${DATABASE_URL%%\?*}; echo "${url%/*}/postgres"; }

# ensure_postgres [fresh]: "fresh" (test and bench runs) drops the database first.
ensure_postgres() {
  local admin db started=$SECONDS
  admin=$(maintenance_url)
  if ! pg_isready -q -d "$admin"; then
    command -v pg_ctlcluster >/dev/null || die "PostgreSQL is not reachable at $admin"
    local version
    version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1)
    echo "PostgreSQL is down; starting cluster $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    until pg_isready -q -d "$admin"; do
      ((SECONDS - started < STACK_READY_TIMEOUT)) || die "PostgreSQL not ready at $admin"
      sleep 0.25
    done
  fi
  db=$(database_name)
  if [ "${1:-}" = fresh ]; then
    PGOPTIONS='-c client_min_messages=warning' \
      psql "$admin" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
  fi
  if [ -z "$(psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    psql "$admin" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\""
  fi
  say postgres "ready ($DATABASE_URL)"
}

# --- Stopping. One at a time, newest first: the app drains while Temporal, MinIO and clamd are
# still up. A process that ignores SIGTERM gets SIGKILL, and so does anything left in its session
# (e.g. an ffmpeg the worker spawned).
stop_pid() {
  local pid=$1 waited=0
  kill -TERM "$pid" 2>/dev/null || true
  while is_running "$pid" && ((waited < STACK_STOP_TIMEOUT * 4)); do
    sleep 0.25
    waited=$((waited + 1))
  done
  if is_running "$pid"; then
    echo "  ${STACK_NAME[$pid]:-pid $pid} ignored SIGTERM for ${STACK_STOP_TIMEOUT}s; killing it" >&2
  fi
  kill -KILL -- "-$pid" 2>/dev/null || true
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true  # reap; fails harmlessly for a process that is not our child
}

stop_all() {
  local i pid
  for ((i = ${#STACK_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${STACK_PIDS[i]}
    stop_pid "$pid"
    rm -f "$RUN_DIR/${STACK_NAME[$pid]}.pid"
  done
  STACK_PIDS=()
}

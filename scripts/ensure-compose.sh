#!/usr/bin/env bash
# Makes `docker compose` available for validating temporal-docker-compose.yml (no Docker engine
# is needed for `config`). Order: an existing plugin; the cached build; a build of Compose v2
# from the Go module proxy (cached under ~/.cache/dvcqg/bin); Debian's docker-compose as a last resort.
set -euo pipefail
COMPOSE_VERSION=v2.29.7
cache="${DVCQG_CACHE_DIR:-$HOME/.cache/dvcqg}/bin"
plugin_dir="$HOME/.docker/cli-plugins"
if docker compose version >/dev/null 2>&1; then exit 0; fi
if [ ! -x "$cache/docker-compose" ] && command -v go >/dev/null 2>&1; then
  echo "[compose] building Docker Compose $COMPOSE_VERSION from the Go module proxy (cached)" >&2
  tmp=$(mktemp -d)
  if GOBIN="$tmp" go install "github.com/docker/compose/v2/cmd@$COMPOSE_VERSION"; then
    mkdir -p "$cache" && mv "$tmp/cmd" "$cache/docker-compose"
  fi
  rm -rf "$tmp"
fi
if [ -x "$cache/docker-compose" ]; then
  mkdir -p "$plugin_dir" && ln -sf "$cache/docker-compose" "$plugin_dir/docker-compose"
  docker compose version >/dev/null 2>&1 && exit 0
fi
if [ "$(id -u)" = 0 ] && ! command -v docker-compose >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
fi
command -v docker-compose >/dev/null 2>&1

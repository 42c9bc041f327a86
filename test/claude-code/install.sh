#!/usr/bin/env bash
# Installs the real Claude Code CLI for the end-to-end suite into a cache folder outside the
# checkout (never committed): $LINKER_CLAUDE_CODE_DIR, else ~/.cache/linker/claude-code-<version>.
# Prints the path of the native binary. npm 11 skips the package's postinstall, so the binary of
# the platform package is run directly (it runs on Node 20 despite the package's engines field).
set -euo pipefail
version="${LINKER_CLAUDE_CODE_VERSION:-2.1.332}"
dir="${LINKER_CLAUDE_CODE_DIR:-$HOME/.cache/linker/claude-code-$version}"
bin="$dir/node_modules/@anthropic-ai/claude-code-linux-x64/claude"
if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -q "^$version"; then
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || printf '{"name":"linker-claude-code-cache","private":true}\n' > "$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "@anthropic-ai/claude-code@$version" >&2
  chmod +x "$bin"
fi
echo "$bin"

#!/bin/sh
# The linker command the plugin runs. Loaded in place from a Linker checkout
# (claude --plugin-dir <checkout>/plugins/claude-code), that checkout's
# bin/linker.js; installed with `claude plugin install` (a copy under
# ~/.claude/plugins/cache), the `linker` on PATH.
# Each part acts as the project folder's name unless LINKER_NAME says otherwise.
here=$(dirname -- "$0")
checkout="$here/../../../bin/linker.js"
if [ -f "$checkout" ]; then exec node "$checkout" "$@"; fi
if command -v linker >/dev/null 2>&1; then exec linker "$@"; fi
echo "linker plugin: no linker command: put one on PATH (npm link in a Linker checkout)" >&2
exit 1

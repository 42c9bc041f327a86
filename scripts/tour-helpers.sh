# Shell functions the README tours share; sourced from the repository root.

# Prints a TCP port free on 127.0.0.1 right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Puts this checkout's CLI on PATH as `linker` (what `npm link` does), in folder $1. The wrapper
# execs node, so `linker hub &` leaves $! naming the hub itself: killing it stops the hub.
put_linker_on_path() {
  mkdir -p "$1"
  printf '#!/bin/sh\nexec node %s "$@"\n' "$(pwd)/bin/linker.js" > "$1/linker"
  chmod +x "$1/linker"
  PATH="$1:$PATH"
}

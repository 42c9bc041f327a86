# Shell functions the README tours share; sourced from the repository root.

# Prints a TCP port free on 127.0.0.1 right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Runs this checkout's CLI as a user runs `linker`.
linker() { node bin/linker.js "$@"; }

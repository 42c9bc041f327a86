#!/bin/sh
# Builds the Go client under test into conformance/clients/go/.build (ignored by
# git), offline, in GOPATH mode: the generated stubs under gen/go and Debian's
# Go packages under /usr/share/gocode. The build cache lives beside the binary,
# so a rebuild with nothing changed takes a second or two.
#
# Usage: sh conformance/clients/go/build.sh   (from anywhere)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
mkdir -p "$here/.build"
cd "$here"
GO111MODULE=off GOFLAGS= GOPROXY=off \
  GOPATH="$root/gen/go:/usr/share/gocode" \
  GOCACHE="$here/.build/cache" \
  exec go build -o "$here/.build/linker-conformance-go" .

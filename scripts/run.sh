#!/bin/sh
# `make run`: the job worker (mail, reminders, digests) beside the development server, in one command.
# Ctrl-C stops both; so does either one ending.
set -u
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
"$BIN/srx" jobs worker &
worker=$!
stop() { kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null; }
trap 'stop; exit 130' INT TERM
"$BIN/srx" run --host "$HOST" --port "$PORT"
status=$?
stop
exit $status

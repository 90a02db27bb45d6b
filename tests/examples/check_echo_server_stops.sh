#!/bin/bash
# echo_server without -t runs until SIGTERM (or SIGINT), then shuts down and
# exits 0 saying so, with a connection still open. Bounded: every wait has a
# limit, and the server is stopped by its PID whatever happens.
set -u
server_bin=$1
out=$(mktemp)
"$server_bin" 0 -w 2 >"$out" 2>&1 &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$out" && break; sleep 0.05; done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out")
[ -n "$port" ] || { echo "FAIL: no 'listening on' line"; cat "$out"; exit 1; }
# One client that stays connected, checked to get its bytes back.
exec 3<>"/dev/tcp/127.0.0.1/$port" || { echo "FAIL: cannot connect to $port"; exit 1; }
printf 'ping\n' >&3
read -r -t 5 reply <&3 || { echo "FAIL: no echo"; exit 1; }
[ "$reply" = ping ] || { echo "FAIL: echoed '$reply'"; exit 1; }
kill -TERM $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
if kill -0 $pid 2>/dev/null; then echo "FAIL: still running 5 s after SIGTERM"; exit 1; fi
wait $pid
rc=$?
exec 3>&-
[ $rc -eq 0 ] || { echo "FAIL: exit status $rc"; cat "$out"; exit 1; }
grep -q "Terminated, stopped; 1 connections were open" "$out" || { echo "FAIL: unexpected output"; cat "$out"; exit 1; }
echo "ok: $(tail -1 "$out")"

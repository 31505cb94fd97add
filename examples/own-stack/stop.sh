#!/usr/bin/env bash
# Stops what start.sh started.
state="${OWN_STACK_STATE:-/tmp/own-stack}"
[ -f "$state/nginx/nginx.pid" ] && nginx -p "$state/nginx" -e "$state/nginx/error.log" -c "$state/nginx.conf" -s stop 2>/dev/null
for name in monolith catalog prometheus; do
  [ -f "$state/$name.pid" ] && kill "$(cat "$state/$name.pid")" 2>/dev/null
  rm -f "$state/$name.pid"
done
exit 0

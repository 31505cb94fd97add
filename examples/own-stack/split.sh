#!/usr/bin/env bash
# The traffic split, moved the way a team without a service mesh moves it: nginx's
# split_clients, rewritten and reloaded.
#   split.sh set PERCENT   send PERCENT % of clients to the new catalog service
#   split.sh get           print the percentage now
# OWN_STACK_STATE is the stack's state folder (start.sh sets it up). With OWN_STACK_FAULT_AT=N,
# setting N % or more also breaks the new service (a file it checks): the rollout test's fault.
set -euo pipefail
state="${OWN_STACK_STATE:?set OWN_STACK_STATE (start.sh prints it)}"
case "${1:-}" in
  get)
    cat "$state/percent"
    ;;
  set)
    percent="${2:?split.sh set PERCENT}"
    [[ "$percent" =~ ^[0-9]+$ ]] && [ "$percent" -le 100 ] || { echo "split.sh: '$percent' is not a percentage from 0 to 100" >&2; exit 2; }
    {
      echo "split_clients \"\${http_x_forwarded_for}\${remote_addr}\" \$backend {"
      [ "$percent" -gt 0 ] && [ "$percent" -lt 100 ] && echo "    ${percent}% catalog;"
      [ "$percent" -ge 100 ] && echo "    * catalog;" || echo "    * monolith;"
      echo "}"
      echo "map \"\" \$split_percent { default \"$percent\"; }"
    } > "$state/split.conf"
    nginx -p "$state/nginx" -e "$state/nginx/error.log" -c "$state/nginx.conf" -s reload
    # nginx reloads its workers asynchronously: wait until the new split answers.
    for _ in $(seq 1 50); do
      [ "$(curl -s "http://127.0.0.1:$(cat "$state/front-port")/_split")" = "$percent" ] && break
      sleep 0.1
    done
    echo "$percent" > "$state/percent"
    if [ -n "${OWN_STACK_FAULT_AT:-}" ] && [ "$percent" -ge "$OWN_STACK_FAULT_AT" ]; then touch "$state/fault"; else rm -f "$state/fault"; fi
    ;;
  *)
    echo "usage: split.sh set PERCENT | split.sh get" >&2
    exit 2
    ;;
esac

#!/bin/bash
# The daemon's RSS as a user sees it, one build at a time (`npm run build` first):
#   bench/rss-sleepers.sh CLI LABEL [VAR=value ...]
# `jobctl up` on a fresh home with one task of 100 `sleep` instances: VmRSS 3 s and 10 s after
# all 100 run; then a home with no task: VmRSS 5 s after `up`. Run two builds back to back
# (e.g. dist/bin/jobctl.js and bench/.work/ref-<sha>/dist/bin/jobctl.js) and say the load.
set -eu
CLI=$1; L=$2; shift 2
H=$(mktemp -d /tmp/rss100-XXXX); mkdir -p "$H/tasks"
printf 'tasks:\n  s:\n    command: ["sleep", "3600"]\n    instances: 100\n' > "$H/tasks/s.yaml"
env "$@" node "$CLI" --home "$H" up >/dev/null
for _ in $(seq 1 150); do
  n=$(node "$CLI" --home "$H" status --json 2>/dev/null | grep -c '"state": "running"' || true)
  [ "$n" -ge 100 ] && break; sleep 0.2
done
pid_of() { node "$CLI" --home "$1" status --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).daemon.pid))'; }
rss() { awk '/VmRSS/{printf "%.1f", $2/1024}' "/proc/$1/status"; }
P=$(pid_of "$H"); sleep 3; a=$(rss "$P"); sleep 7; b=$(rss "$P")
node "$CLI" --home "$H" down >/dev/null
H2=$(mktemp -d /tmp/rss0-XXXX); mkdir -p "$H2/tasks"
env "$@" node "$CLI" --home "$H2" up >/dev/null; sleep 5; c=$(rss "$(pid_of "$H2")")
node "$CLI" --home "$H2" down >/dev/null
echo "$L: 100 sleepers ${a} MB 3 s after, ${b} MB 10 s after; empty ${c} MB"
rm -rf "$H" "$H2"

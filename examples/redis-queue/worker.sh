#!/bin/sh
# A queue consumer: pops jobs from a Redis list and handles each one.
# Any language works the same way; jobctl only needs the process and the probe.
port=${REDIS_PORT:-6379}
queue=${QUEUE:-mail}
trap 'echo "worker $JOBCTL_INSTANCE: stopping after the current job"; exit 0' TERM
while true; do
  # BRPOP waits up to 1 s and prints the list name then the job (nothing on timeout).
  job=$(redis-cli -p "$port" --raw brpop "$queue" 1 | tail -n 1)
  if [ -n "$job" ]; then
    echo "worker $JOBCTL_INSTANCE handled $job"
    sleep "${WORK_SECONDS:-0.05}"
  fi
done

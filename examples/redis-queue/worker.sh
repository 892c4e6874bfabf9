#!/bin/sh
# A queue consumer: pops jobs from a Redis list and handles each one.
# Any language works the same way; jobctl only needs the process and the probe.
#
# jobctl's stop signal goes to the whole process group (so nothing is left behind), which
# includes the redis-cli waiting in BRPOP and the subshell reading its answer. Killed after
# the pop but before the job is printed, they would lose that job, so the pop runs with
# SIGTERM ignored (an ignored signal survives fork and exec) and the worker stops between
# jobs, within the 1 s BRPOP wait plus one job: keep stop_timeout above that.
port=${REDIS_PORT:-6379}
queue=${QUEUE:-mail}
stopping=
trap 'stopping=1' TERM INT
while [ -z "$stopping" ]; do
  # BRPOP waits up to 1 s and prints the list name then the job (nothing on timeout).
  job=$(trap '' TERM INT; redis-cli -p "$port" --raw brpop "$queue" 1 | tail -n 1)
  if [ -n "$job" ]; then
    echo "worker $JOBCTL_INSTANCE handled $job"
    sleep "${WORK_SECONDS:-0.05}"
  fi
done
echo "worker $JOBCTL_INSTANCE: stopped between jobs"

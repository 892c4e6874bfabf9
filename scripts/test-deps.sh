#!/usr/bin/env bash
# Installs the Debian packages the tests use, when they are missing. `npm test` and
# `.ci/run` both run it. As root (or with passwordless sudo) it installs with apt-get;
# otherwise it prints what is missing in one line, and the tests that need it are skipped
# (each says so in one line).
#
# One line per tool: "COMMAND PACKAGE   why". Add a tool here and nowhere else.
set -euo pipefail

DEPS=(
  "setpriv       util-linux     pdeathsig and run-as-user for every child"
  "tmux          tmux           the end-to-end TUI test in a real terminal"
  "redis-server  redis-server   the queue-worker scaling test (a real Redis list)"
  "redis-cli     redis-tools    the queue-worker example's probe"
  "tini          tini           the daemon as PID 1 of a pid namespace (reaps orphans)"
  "dumb-init     dumb-init      the container example's other init"
  "unshare       util-linux     the PID 1 test's pid namespace"
  "sshd          openssh-server the --host ssh:// and fleet tests (a private sshd on 127.0.0.1)"
  "ssh           openssh-client the --host ssh:// and fleet tests (the system ssh client)"
  "git           git            the one-task-repo-for-many-hosts test and fleet sync"
  "prometheus    prometheus     a real Prometheus scraping a daemon (deploy/ rules and dashboard)"
  "promtool      prometheus     promtool check rules/metrics and promtool test rules"
  "chromium      chromium       the jobctl web tests (headless, driven by puppeteer-core)"
)

missing=()
for line in "${DEPS[@]}"; do
  read -r cmd pkg _ <<<"$line"
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
# One package may provide several commands.
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "test-deps: missing ${missing[*]}; install with: sudo apt-get install -y ${missing[*]} (the tests that need them are skipped)" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: missing ${missing[*]} and no apt-get here; install them with your package manager (the tests that need them are skipped)" >&2
  exit 0
fi
echo "test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

#!/usr/bin/env bash
# Container healthcheck for the livesae services: healthy when GET /metrics on 127.0.0.1:PORT answers 200.
# Uses bash's /dev/tcp so the runtime image needs no curl or wget.
set -euo pipefail
port="${1:?usage: healthcheck.sh METRICS_PORT}"
exec 3<>"/dev/tcp/127.0.0.1/${port}"
printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
IFS= read -r -t 5 status <&3
exec 3<&-
[[ "${status}" =~ ^HTTP/1\.[01]\ 200 ]] || { echo "metrics endpoint on port ${port} answered: ${status}" >&2; exit 1; }

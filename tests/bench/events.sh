#!/bin/sh
# Events benchmark, reported against a bare rabbitmq-c loop on the same broker in the same run:
#
#   tests/bench/events.sh [--events N] [--rate R] [--seconds S] [--writers W] [--prefetch P]
#
# Builds tessera-events-bench (release preset, -DTESSERA_BUILD_BENCHMARKS=ON) and runs it: it starts
# a throw-away rabbitmq-server on free loopback ports (tests/support/rabbitmq_server), measures
# events/s end to end (Engine write → subscriber) for the inproc and amqp buses, event latency and
# outbox (relay) lag p99 under a steady write load, and the bare publish-with-confirms /
# consume-with-ack loop with messages of the same size; prints one table. Everything it starts it
# stops.
set -eu
cd "$(dirname "$0")/../.."

cmake --preset release -DTESSERA_BUILD_BENCHMARKS=ON >/dev/null
cmake --build --preset release --target tessera-events-bench -j2 >/dev/null
exec build/release/tests/bench/tessera-events-bench "$@"

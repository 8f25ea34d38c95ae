#!/bin/sh
# A demo client workload: calls the orders service through its own Envoy sidecar a bounded
# number of rounds, prints each status next to the status it expects, and exits non-zero if any
# call surprised it. It holds no certificate itself: the sidecar presents the workload's SVID.
#
# environment:
#   CALLER        checkout | intruder   (which plan of calls to make; see plan() below)
#   ORDERS_URL    base URL of the sidecar's egress listener (http://127.0.0.1:15001)
#   TOKEN_FILE    bearer token for the calls that need one (checkout only)
#   ROUNDS        rounds of calls (10), INTERVAL seconds between rounds (3),
#   WAIT_SECONDS  how long to wait for the mesh path to come up (90)
set -u

CALLER="${CALLER:?set CALLER to checkout or intruder}"
ORDERS_URL="${ORDERS_URL:-http://127.0.0.1:15001}"
TOKEN_FILE="${TOKEN_FILE:-}"
ROUNDS="${ROUNDS:-10}"
INTERVAL="${INTERVAL:-3}"
WAIT_SECONDS="${WAIT_SECONDS:-90}"

BODY="$(mktemp)"
trap 'rm -f "$BODY"' EXIT INT TERM
calls=0
surprises=0

# Waits, within a bound, until Envoy-to-Envoy mTLS works (the health route needs no decision).
wait_for_mesh() {
  waited=0
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$ORDERS_URL/healthz/envoy")" = 200 ]; do
    waited=$((waited + 1))
    if [ "$waited" -ge "$WAIT_SECONDS" ]; then
      echo "$CALLER: the orders sidecar did not answer within ${WAIT_SECONDS}s" >&2
      exit 1
    fi
    sleep 1
  done
}

# call METHOD PATH EXPECTED_STATUS [token]
call() {
  method="$1" path="$2" expected="$3" auth="${4:-}" n=$((calls + 1))
  set -- -s -o "$BODY" -w '%{http_code}' --max-time 5 -X "$method" \
    -H "x-request-id: $CALLER-r$round-$n"
  if [ "$method" = POST ]; then
    set -- "$@" -H 'content-type: application/json' --data '{"item":"coffee"}'
  fi
  if [ "$auth" = token ]; then
    if [ ! -r "$TOKEN_FILE" ]; then
      echo "$CALLER: no token at '$TOKEN_FILE'" >&2
      surprises=$((surprises + 1))
      return
    fi
    set -- "$@" -H "authorization: Bearer $(tr -d '\n' <"$TOKEN_FILE")"
  fi
  status="$(curl "$@" "$ORDERS_URL$path")"
  calls=$n
  verdict=ok
  if [ "$status" != "$expected" ]; then
    verdict=UNEXPECTED
    surprises=$((surprises + 1))
  fi
  printf '%-8s %-4s %-10s %-6s -> %s (expected %s, %s) %s\n' "$CALLER" "$method" "$path" \
    "${auth:++token}" "$status" "$expected" "$verdict" "$(tr -d '\n' <"$BODY")"
}

# What each workload tries, and what demo/policies/orders.yaml says should happen.
plan() {
  case "$CALLER" in
    checkout)
      call GET /orders/42 200             # rule read-orders allows checkout
      call GET /orders 200
      call POST /orders 401               # create-order requires mTLS and a token: missing_credential
      call POST /orders 201 token         # both credentials: allowed
      ;;
    intruder)
      call GET /orders/42 403             # valid SVID of the trust domain, but no rule names it: not_allowed
      call POST /orders 401               # no token: missing_credential
      ;;
    *)
      echo "unknown CALLER '$CALLER'" >&2
      exit 2
      ;;
  esac
}

wait_for_mesh
round=1
while [ "$round" -le "$ROUNDS" ]; do
  plan
  [ "$round" -lt "$ROUNDS" ] && sleep "$INTERVAL"
  round=$((round + 1))
done
echo "$CALLER: $calls calls, $surprises unexpected"
[ "$surprises" -eq 0 ]

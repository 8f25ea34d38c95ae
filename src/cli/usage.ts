// Help texts of the command line. Text only.

export const USAGE = `tollgate — Envoy ext_authz (gRPC v3) authorizer: workload identity, per-method allowlists, deny by default

Usage:
  tollgate serve   [--policies DIR] [--grpc ADDR] [--admin ADDR] [--service NAME] [--log-level L]
                   [--audit-file PATH] [--audit-fail-closed]     run the authorizer
  tollgate check   [--grpc ADDR] --http "GET /path" [--service S] [--spiffe ID] [--token JWT]
                                                                 send one CheckRequest to a running server
  tollgate lint    [DIR] [--strict] [--format text|json|github]  check a policy directory: file:line:col problems
  tollgate explain [--policies DIR] --service S (--http "GET /p" | --grpc pkg.Svc/Method)
                   [--spiffe ID] [--token JWT] [--assume-verified]
                                                                 decide one request offline and say why
  tollgate explain --request check.json | --audit-line FILE|-    the same for a CheckRequest JSON or an audit line
  tollgate test    [DIR] [--verbose]                             run the PolicyTest files (*.test.yaml)
  tollgate schema                                                print the JSON Schema of policy files
  tollgate coverage (--proto F | --openapi F) [--service S] [--policies DIR] [--fail-on-uncovered]
                                                                 API methods no rule selects, rules that select none
  tollgate <command> --help                                      help for one command

Policy directory: DIR, or --policies DIR, else $TOLLGATE_POLICIES, else ./policies.
Exit codes: 0 success, 1 a finding (lint errors, failed tests, a denied explain), 2 bad usage
or configuration. Docs: docs/cli.md.
`;

export const SERVE_USAGE = `Usage: tollgate serve [options]

  --policies DIR            policy directory (env TOLLGATE_POLICIES, default ./policies)
  --grpc ADDR               ext_authz + health listener: host:port or unix:/path
                            (env TOLLGATE_GRPC_ADDR, default 127.0.0.1:9191)
  --admin ADDR              admin HTTP: /metrics /healthz /readyz /inventory
                            (env TOLLGATE_ADMIN_ADDR, default 127.0.0.1:9090)
  --service NAME            service when neither context_extensions nor the destination
                            principal selects one (env TOLLGATE_SERVICE)
  --log-level L             trace|debug|info|warn|error|fatal|silent (env TOLLGATE_LOG_LEVEL, default info)
  --audit-file PATH         write audit lines to PATH instead of stdout
  --audit-fail-closed       deny (internal_error) while the audit trail cannot be written
  --audit-sample-allow F    fraction 0..1 of allows to log (denies are always logged; default 1)
  --max-message-bytes N     largest CheckRequest accepted (default 1048576)
  --max-token-bytes N       largest bearer token accepted (default 8192)
  --decision-cache-size N   decision cache entries (default 10000; 0 disables)
  --token-cache-size N      verified-token cache entries (default 10000)
  --key-wait-ms N           longest a check waits for a key set fetch (default 100)
  --drain-timeout-ms N      bound on the SIGTERM drain (default 5000)
  --max-headers N           headers of a CheckRequest considered; more deny malformed_request (default 256)
  --max-header-bytes N      header characters considered; more deny malformed_request (default 65536)
  --max-in-flight N         checks answered at once; more are denied at once with internal_error
                            (detail overloaded_in_flight) instead of queueing (default 1024; 0 no bound)
  --max-event-loop-delay-ms N
                            deny new checks at once (internal_error, overloaded_event_loop) while the
                            event loop lags more than N ms; set it to Envoy's ext_authz timeout (default 0: off)

Flags win over environment variables. SIGHUP reloads the policies; SIGTERM/SIGINT drain and exit 0.
`;

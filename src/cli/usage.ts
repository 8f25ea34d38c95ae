// Help texts of the command line. Text only.

export const USAGE = `tollgate — Envoy ext_authz (gRPC v3) authorizer: workload identity, per-method allowlists, deny by default

Usage:
  tollgate serve   [--policies DIR] [--grpc ADDR] [--admin ADDR] [--service NAME] [--log-level L]
                   [--audit-file PATH] [--audit-fail-closed]     run the authorizer
  tollgate check   [--grpc ADDR] --http "GET /path" [--service S] [--spiffe ID] [--token JWT]
                                                                 send one CheckRequest to a running server
  tollgate <command> --help                                      help for one command

Exit codes: 0 success, 1 a finding, 2 bad usage or configuration.
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

Flags win over environment variables. SIGHUP reloads the policies; SIGTERM/SIGINT drain and exit 0.
`;

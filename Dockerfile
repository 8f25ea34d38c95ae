# syntax=docker/dockerfile:1
# tollgate container image: the compiled server on Node 20 with production dependencies only,
# running as the unprivileged "node" user. Policies are mounted at /etc/tollgate/policies.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: install everything, compile TypeScript --------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run the build before the sources are copied in.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json esbuild.mjs ./
COPY proto ./proto
COPY src ./src
# The example policies: esbuild.mjs starts the server on them once to write V8's code cache.
COPY policies ./policies
# tsconfig.build.json compiles src/ (and bench/, not copied) without the tests; esbuild.mjs then
# bundles the CLI into dist/tollgate.cjs (one module to load: a faster start), writes the
# executable dist/tollgate.mjs and the code cache dist/tollgate.cjs.cache. The cache is only
# used by the same Node build, which is why both stages use one NODE_IMAGE.
RUN npx tsc -p tsconfig.build.json && node esbuild.mjs

# --- runtime: production dependencies and the compiled output only --------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No devDependencies, and no `prepare` (it would try to compile without TypeScript).
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY proto ./proto
# The example policies, so the image starts with a working policy set; mount your own over it.
COPY policies /etc/tollgate/policies

USER node
# 9191: gRPC ext_authz + grpc.health.v1; 9090: admin HTTP (/metrics, /healthz, /readyz, /inventory).
EXPOSE 9191 9090
# No curl in the slim image: Node's own fetch asks /readyz (ready = a valid policy set is loaded).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9090/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/tollgate.mjs"]
# 0.0.0.0: inside a container, loopback would be unreachable from the Envoy next to it.
CMD ["serve", "--policies", "/etc/tollgate/policies", "--grpc", "0.0.0.0:9191", "--admin", "0.0.0.0:9090"]

# The base image of both stages. Node 24 is the active LTS line; Debian slim is glibc, like the machines the
# tests run on. Pin a digest for reproducible builds:
#   docker build --build-arg NODE_IMAGE=node:24.22.3-bookworm-slim@sha256:<digest> .
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# Build stage: compile TypeScript to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the compiled code only.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Bundles and, in offline mode, the state file go here when CONNECTOR_SEND_TO_DIRECTORY_PATH points to it;
# a volume, so that it stays writable when the root file system is read-only.
RUN mkdir -p /data && chown 1000:1000 /data
VOLUME ["/data"]
# The base image's `node` user, by number so that runtimes can verify it is not root (runAsNonRoot).
USER 1000:1000
# `run` rewrites this file every 30 s (src/telemetry/Heartbeat.ts); older than 2 minutes means the process is wedged.
# /tmp must be writable (a tmpfs when the root file system is read-only).
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
  CMD ["node", "-e", "process.exit(Date.now() - require('fs').statSync('/tmp/spycloud-connector.alive').mtimeMs < 120000 ? 0 : 1)"]
# node itself is PID 1 (no npm/npx or shell wrapper), so SIGTERM reaches the connector, which stops cleanly;
# docker-compose.yml adds `init: true` to reap zombies as well.
ENTRYPOINT ["node", "--max-semi-space-size=8", "dist/main.js"]
CMD ["run"]

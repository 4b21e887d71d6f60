# syntax=docker/dockerfile:1

# Build stage: compile TypeScript to dist/.
FROM node:20-alpine AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the compiled code only.
FROM node:20-alpine
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Bundles and, in offline mode, the state file go here when CONNECTOR_SEND_TO_DIRECTORY_PATH points to it.
RUN mkdir -p /data && chown node:node /data
USER node
# `run` rewrites this file every 30 s (src/telemetry/Heartbeat.ts); older than 2 minutes means the process is wedged.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
  CMD ["node", "-e", "process.exit(Date.now() - require('fs').statSync('/tmp/spycloud-connector.alive').mtimeMs < 120000 ? 0 : 1)"]
# node itself is PID 1 (no npm/npx wrapper), so SIGTERM reaches the connector, which stops cleanly;
# docker-compose.yml adds `init: true` to reap zombies as well.
ENTRYPOINT ["node", "dist/main.js"]
CMD ["run"]

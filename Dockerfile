# Airlock's image: one package, run as `api`, `worker` or `all` (AIRLOCK_ROLE). TypeScript runs
# under tsx (a runtime dependency), as `npm start` does; no build step. Used by
# docker-compose.temporal.yml for the airlock-api and airlock-worker services.
FROM node:20.19-bookworm-slim

ENV NODE_ENV=production \
    PORT=8080 \
    AIRLOCK_ROLE=all \
    AIRLOCK_DATA_DIR=/var/lib/airlock
WORKDIR /app

# `npm ci`: exactly the lockfile (refused when out of sync with package.json); no install scripts
# (see .ci/run).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

COPY . .
RUN mkdir -p /var/lib/airlock && chown node:node /var/lib/airlock
USER node

# 8080: API (and /metrics); 9464: worker-only /metrics (METRICS_PORT); 9465: the Temporal SDK's
# own worker metrics (TEMPORAL_METRICS_ADDRESS).
EXPOSE 8080 9464 9465
# glibc gives each of the worker's threads (Rust core, V8) its own malloc arenas, which keep freed
# memory: 2 arenas took ~50 MB off the worker's RSS with 500 pending (docs/runbook.md).
ENV MALLOC_ARENA_MAX=2
# A heap limit makes V8 collect before its heaps grow far past what is live (the default limit
# follows the machine's memory): worker RSS with 2,000 pending 458 -> 342 MB (docs/runbook.md).
ENV NODE_OPTIONS=--max-old-space-size=512
# SIGTERM reaches node directly (exec form): the worker drains, in-flight HTTP completes.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "main.ts"]

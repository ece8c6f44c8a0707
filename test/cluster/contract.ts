// What docker-compose.temporal.yml promises and the cluster test runs: one module that both the
// cluster test (test/cluster) and the compose file's unit test (test/unit/compose.test.ts) read,
// so the compose file cannot drift from what was run for real.
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/search-attributes.js';

/** The Temporal server release: the compose images' tag and the Go module the cluster builds. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';

/** `go install` targets: the server (all four services) and its SQL schema tool. */
export const TEMPORAL_SERVER_MODULES = [
  `go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
  `go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
];

/**
 * The Web UI release: the compose file's temporalio/ui tag and the ui-server module the cluster
 * test builds (the one the pinned Temporal CLI embeds, so the dev server shows the same UI).
 */
export const TEMPORAL_UI_VERSION = '2.42.1';
export const TEMPORAL_UI_MODULE = `github.com/temporalio/ui-server/v2/cmd/server@v${TEMPORAL_UI_VERSION}`;
/** The UI sends credentials with its codec calls: the codec session cookie goes with them. */
export const TEMPORAL_UI_CODEC_INCLUDE_CREDENTIALS = true;

/** The persistence driver (compose: DB=postgres12, for PostgreSQL 12 and later). */
export const TEMPORAL_DB_PLUGIN = 'postgres12';

/** The two databases' schemas inside the server module (default store, then visibility). */
export const TEMPORAL_SCHEMAS = {
  default: 'schema/postgresql/v12/temporal',
  visibility: 'schema/postgresql/v12/visibility',
} as const;

/** auto-setup's default shard count, which the compose file keeps (shards are fixed for life). */
export const TEMPORAL_HISTORY_SHARDS = 4;

export const TEMPORAL_NAMESPACE = 'default';
/** auto-setup's default retention for the namespace it creates. */
export const TEMPORAL_NAMESPACE_RETENTION = '24h';

/**
 * The frontend's gRPC port. Compose publishes it on the host; the cluster test binds free ports
 * instead (the machine's dev servers may hold 7233) and keeps this one in its config's defaults.
 */
export const TEMPORAL_FRONTEND_PORT = 7233;

/** The server's services, each its own process in the cluster test. */
export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

export { SEARCH_ATTRIBUTE_TYPES };

/**
 * The environment each Airlock role gets, by name (the values differ: compose network vs
 * loopback). The compose test checks its airlock-api and airlock-worker services set exactly
 * these; the cluster test starts its processes with exactly these set.
 */
export const AIRLOCK_ENV = {
  common: [
    'AIRLOCK_ROLE',
    'TEMPORAL_ADDRESS',
    'TEMPORAL_NAMESPACE',
    'TEMPORAL_UI_URL',
    'DATABASE_URL',
    'AIRLOCK_ENCRYPTION_KEY',
    'AIRLOCK_PUBLIC_URL',
    'AIRLOCK_CONFIG',
    'AIRLOCK_POLICY',
    'LOG_LEVEL',
  ],
  api: ['PORT'],
  worker: ['METRICS_PORT', 'TEMPORAL_METRICS_ADDRESS'],
} as const;

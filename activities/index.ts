// Activities are factories over injected clients (the worker passes real ones, tests pass
// fakes of the outside world). The workflow imports only the type of what this returns.
import { createArchiveActivities } from './archive.js';
import { createAssessActivities } from './assess.js';
import { createAuditActivities } from './audit.js';
import { createCallbackActivities } from './callback.js';
import type { ActivityDeps } from './deps.js';
import { createEnrichActivities } from './enrich.js';
import { createExecuteActivities } from './execute.js';
import { createNotifyActivities } from './notify.js';
import { createPolicyActivities } from './policy.js';
import { createPreviewActivities } from './preview.js';
import { createStandingActivities } from './standing.js';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createAuditActivities(deps),
    ...createEnrichActivities(deps),
    ...createPolicyActivities(deps),
    ...createAssessActivities(deps),
    ...createNotifyActivities(deps),
    ...createExecuteActivities(deps),
    ...createPreviewActivities(deps),
    ...createCallbackActivities(deps),
    ...createArchiveActivities(deps),
    ...createStandingActivities(deps),
  };
}

export type AirlockActivities = ReturnType<typeof createActivities>;
export type { ActivityDeps, EvidenceDeps } from './deps.js';

// Which fault cases run where. `npm run test:faults` runs every case in full (AIRLOCK_FAULTS=full);
// `npm test` runs the cases listed here in their short version, on purpose: a new case file is
// added to one of the two lists (test/unit/ops/fault-cases.test.ts fails until it is).
export const SHORT_FAULT_CASES = [
  'channel-outage-real',
  'channel-outage',
  'claimed-environment',
  'concurrent-submissions',
  'forged-callers',
  'fuzz-config',
  'fuzz-endpoints',
  'fuzz-identity',
  'fuzz-submit',
  'postgres-outage',
  'refusal-flood',
  'temporal-access',
  'temporal-restart',
  'worker-kill-local-steps',
] as const;

/** Cases too slow for `npm test` even when short: only `npm run test:faults` runs them. */
export const FULL_ONLY_FAULT_CASES: readonly string[] = ['worker-kill'];

export const shortFaultFiles = (): string[] => SHORT_FAULT_CASES.map((c) => `test/faults/${c}.test.ts`);

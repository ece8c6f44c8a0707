// The bench's goals in one place: run.ts judges the figures with them and report.ts prints them
// in the goal column, so a goal cannot be moved in one and not the other. Raised where the last
// full run met them with room (auto-allow latency, the approval path, GET while pending).
export const GOALS = {
  autoAllow: { latencyRatioP50Max: 1.1, throughputRatioMin: 0.6 },
  /** The MCP gateway may add at most this much over the auto-allowed REST latency p50. */
  mcpOverheadOverRestMs: 20,
  approvalPath: { p50MsMax: 20, p99MsMax: 100 },
  manyPending: { rssMbMax: 400, getP99MsMax: 50, listP99MsMax: 100 },
  console: { p95MsMax: 150 },
  audit: { appendPerSecondMin: 5_000, verifyPerSecondMin: 100_000 },
} as const;

export const atMost = (value: number, max: number) => ({ max, met: value <= max });
export const atLeast = (value: number, min: number) => ({ min, met: value >= min });

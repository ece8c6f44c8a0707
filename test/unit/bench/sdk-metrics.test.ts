// The bench reads the worker's side of a request from the SDK's Prometheus text; lines as the
// SDK core 1.24 serves them (captured from a bench worker).
import { describe, expect, it } from 'vitest';
import { meanBetween, parseHistograms } from '../../../bench/sdk-metrics.js';

const labels = (extra: string) =>
  `{${extra}namespace="default",service_name="temporal-core-sdk",task_queue="q",workflow_type="actionRequest"}`;
const scrape = (assessSum: number, assessCount: number, hits: number) =>
  [
    '# HELP temporal_local_activity_execution_latency Histogram of local activity execution latencies',
    `temporal_local_activity_execution_latency_bucket${labels('activity_type="assessRequest",le="50",')} 3`,
    `temporal_local_activity_execution_latency_sum${labels('activity_type="assessRequest",')} ${assessSum}`,
    `temporal_local_activity_execution_latency_count${labels('activity_type="assessRequest",')} ${assessCount}`,
    `temporal_local_activity_execution_latency_sum${labels('activity_type="recordEvents",')} 100`,
    `temporal_local_activity_execution_latency_count${labels('activity_type="recordEvents",')} 10`,
    `temporal_request_latency_sum{operation="RespondWorkflowTaskCompleted",service_name="temporal-core-sdk"} 40`,
    `temporal_request_latency_count{operation="RespondWorkflowTaskCompleted",service_name="temporal-core-sdk"} 8`,
    `temporal_sticky_cache_hit${labels('')} ${hits}`,
    `temporal_sticky_cache_size{namespace="default",task_queue="q"} 17`,
  ].join('\n');

describe('bench SDK metrics', () => {
  it('keys histograms by activity type and operation, and reads the cache counters', () => {
    const totals = parseHistograms(scrape(300, 20, 7));
    expect(totals.get('local_activity_execution_latency{activity_type=assessRequest}')).toEqual({
      sum: 300,
      count: 20,
    });
    expect(totals.get('request_latency{operation=RespondWorkflowTaskCompleted}')).toEqual({
      sum: 40,
      count: 8,
    });
    expect(totals.get('sticky_cache_hit')).toEqual({ sum: 0, count: 7 });
    expect(totals.has('sticky_cache_size')).toBe(false);
  });

  it('gives the mean of what happened between two scrapes, and leaves out what did not move', () => {
    const means = meanBetween(parseHistograms(scrape(300, 20, 7)), parseHistograms(scrape(360, 24, 11)));
    expect(means).toEqual({
      'local_activity_execution_latency{activity_type=assessRequest}': { count: 4, meanMs: 15 },
      sticky_cache_hit: { count: 4 },
    });
  });
});

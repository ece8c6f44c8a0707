// The baseline worker, run as its own process like Airlock's worker: default Worker settings
// (the same as temporal/worker.ts), one no-op activity. Prints "worker running" when it polls.
// With TEMPORAL_METRICS_ADDRESS the SDK serves its Prometheus metrics there, as Airlock's does.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';

const address = process.env.TEMPORAL_ADDRESS;
const taskQueue = process.env.TEMPORAL_TASK_QUEUE;
if (!address || !taskQueue) throw new Error('TEMPORAL_ADDRESS and TEMPORAL_TASK_QUEUE are required');

const metrics = process.env.TEMPORAL_METRICS_ADDRESS;
if (metrics) Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: metrics } } } });
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities: { noop: async () => {} },
  shutdownGraceTime: '10s',
});
const running = worker.run();
process.stdout.write('{"msg":"worker running"}\n');
process.on('SIGTERM', () => worker.shutdown());
await running;
await connection.close();

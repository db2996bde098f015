import { loadConfig } from './config/index.js';
import { buildApp } from './api/app.js';
import { startMetricsServer } from './api/metrics.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await buildApp(config);
  // A busy metrics port must not keep the API from serving: it runs without the listener.
  const metrics = config.METRICS_ADDRESS
    ? await startMetricsServer(app.metrics, config.METRICS_ADDRESS).catch((err: unknown) => {
      app.log.error({ err, metricsAddress: config.METRICS_ADDRESS, alert: 'metrics-listener-failed' }, 'metrics listener not started');
      return undefined;
    })
    : undefined;
  const close = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    await metrics?.close();
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void close('SIGINT'));
  process.once('SIGTERM', () => void close('SIGTERM'));
  await app.listen({ host: config.HOST, port: config.PORT });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

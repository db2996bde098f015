import { loadConfig } from './config/index.js';
import { buildApp } from './api/app.js';
import { startMetricsServer } from './api/metrics.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await buildApp(config);
  const metrics = config.METRICS_ADDRESS ? await startMetricsServer(app.metrics, config.METRICS_ADDRESS) : undefined;
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

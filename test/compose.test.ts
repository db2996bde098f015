import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** `docker compose` (plugin) or Debian's `docker-compose`, whichever scripts/ensure-compose.sh provided. */
function composeCommand(): string[] {
  if (spawnSync('docker', ['compose', 'version']).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version']).status === 0) return ['docker-compose'];
  throw new Error('docker compose is not installed: run scripts/ensure-compose.sh');
}

describe('temporal-docker-compose.yml', () => {
  it('validates with `docker compose config` and declares the production topology', () => {
    const [cmd, ...args] = composeCommand();
    const result = spawnSync(cmd as string, [...args, '-f', 'temporal-docker-compose.yml', 'config', '--format', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, AUTH_JWT_SECRET: 'x'.repeat(40) },
    });
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.status).toBe(0);
    const config = JSON.parse(result.stdout) as { services: Record<string, { command?: string[]; environment?: Record<string, string> }> };
    expect(Object.keys(config.services).sort()).toEqual(
      ['api', 'postgresql', 'temporal', 'temporal-namespace-setup', 'temporal-ui', 'worker'].sort(),
    );
    // Retention is set explicitly and Temporal archives every closed history as a second copy.
    const setup = config.services['temporal-namespace-setup']?.command?.join(' ') ?? '';
    expect(setup).toMatch(/--retention/);
    expect(setup).toMatch(/--history-archival-state enabled --history-uri file:\/\/\/var\/temporal\/archive\/history/);
    expect(config.services.temporal?.environment?.DEFAULT_NAMESPACE_RETENTION).toBe('14d');
  });

  it('refuses to render without AUTH_JWT_SECRET (production must set it)', () => {
    const [cmd, ...args] = composeCommand();
    const env = { ...process.env };
    delete env.AUTH_JWT_SECRET;
    const result = spawnSync(cmd as string, [...args, '-f', 'temporal-docker-compose.yml', 'config'], { encoding: 'utf8', env });
    expect(result.status).not.toBe(0);
  });
});

import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';

/** The configuration keys of the connection to Temporal's frontend (PEM file paths). */
export interface TemporalTlsSettings {
  TEMPORAL_TLS_CA?: string | undefined;
  TEMPORAL_TLS_CERT?: string | undefined;
  TEMPORAL_TLS_KEY?: string | undefined;
  TEMPORAL_TLS_SERVER_NAME?: string | undefined;
}

function read(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * The TLS options of every connection to Temporal — the API's client, the worker's native
 * connection, the scripts' clients — or undefined (plaintext) when no TLS key is set. The files are
 * read now, so a process starts with its certificates or not at all; a rotated certificate is taken
 * up on restart. The client certificate pair is the process's credential at the frontend (mTLS).
 */
export function temporalTls(config: TemporalTlsSettings): TLSConfig | undefined {
  const { TEMPORAL_TLS_CA: ca, TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key, TEMPORAL_TLS_SERVER_NAME: serverName } = config;
  if (!ca && !cert && !key && !serverName) return undefined;
  return {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(ca ? { serverRootCACertificate: read('TEMPORAL_TLS_CA', ca) } : {}),
    ...(cert && key ? { clientCertPair: { crt: read('TEMPORAL_TLS_CERT', cert), key: read('TEMPORAL_TLS_KEY', key) } } : {}),
  };
}

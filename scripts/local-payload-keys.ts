import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The payload key of local runs (`npm start`): generated once into data/payload-keys (git-ignored,
 * readable by its owner only) and kept, so the dev server's histories stay readable across
 * restarts. Its content is a TEMPORAL_PAYLOAD_KEYS value; an operator may add older keys after the
 * first one to rotate, as in production.
 */
export const localPayloadKeysFile = fileURLToPath(new URL('../data/payload-keys', import.meta.url));

/** The local keys, created when missing. */
export function ensureLocalPayloadKeys(): string {
  if (!existsSync(localPayloadKeysFile)) {
    const id = `local-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
    writeFileSync(localPayloadKeysFile, `${id}:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(localPayloadKeysFile, 'utf8').trim();
}

/** The local keys if `npm start` has made them (scripts reading the local dev server's histories). */
export function existingLocalPayloadKeys(): string | undefined {
  return existsSync(localPayloadKeysFile) ? readFileSync(localPayloadKeysFile, 'utf8').trim() : undefined;
}

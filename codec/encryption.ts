import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
// @temporalio/proto is CommonJS without static named exports: take the namespace from its default.
import proto from '@temporalio/proto';
const { temporal } = proto;

/**
 * Payload encryption (README "Security model" → "Payload encryption"). Every payload the API and
 * the worker send to Temporal — workflow inputs, update and signal arguments, activity inputs and
 * results, query answers, memos — is sealed with AES-256-GCM before it leaves the process, so
 * Temporal's database, its archive and anyone with plain Temporal access see only ciphertext.
 * Search attributes are not payloads of the codec: they stay plaintext and carry no personal data.
 *
 * Wire format, as in the Temporal encryption samples: metadata `encoding: binary/encrypted` and
 * `encryption-key-id: <id>`; data = 12-byte nonce ‖ ciphertext ‖ 16-byte GCM tag, the plaintext
 * being the whole original Payload message (its metadata included).
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface PayloadKey {
  id: string;
  key: Buffer;
}

/**
 * `TEMPORAL_PAYLOAD_KEYS`: `<id>:<base64 of 32 bytes>` entries separated by commas, the current
 * (encrypting) key first; the others only decrypt. Empty → no keys (encryption off). Errors name
 * the entry, never its key material.
 */
export function parsePayloadKeys(spec: string): PayloadKey[] {
  const entries = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const keys: PayloadKey[] = [];
  for (const [i, entry] of entries.entries()) {
    const at = entry.indexOf(':');
    const id = at > 0 ? entry.slice(0, at) : '';
    const encoded = entry.slice(at + 1);
    if (!KEY_ID.test(id)) throw new Error(`entry ${i + 1}: expected <key id>:<base64 key>, the id made of letters, digits, dot, dash, underscore`);
    const key = Buffer.from(encoded, 'base64');
    // Buffer.from ignores what is not base64: compare the round trip to refuse a mistyped key.
    if (key.length !== KEY_BYTES || key.toString('base64') !== encoded) throw new Error(`key ${id}: expected the base64 form of exactly ${KEY_BYTES} bytes`);
    if (keys.some((k) => k.id === id)) throw new Error(`key ${id} is listed twice`);
    keys.push({ id, key });
  }
  return keys;
}

const utf8 = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** Encrypts with the current key (the first); decrypts with whichever key the payload names. */
export class EncryptionCodec implements PayloadCodec {
  private readonly current: PayloadKey;
  private readonly byId: Map<string, Buffer>;

  constructor(keys: readonly PayloadKey[]) {
    const [current] = keys;
    if (!current) throw new ValueError('EncryptionCodec needs at least one key');
    this.current = current;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, nonce);
      const sealed = Buffer.concat([nonce, cipher.update(temporal.api.common.v1.Payload.encode(payload).finish()), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(this.current.id) },
        data: sealed,
      };
    });
  }

  /** Payloads not marked `binary/encrypted` (histories from before encryption) pass through unchanged. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (utf8(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const keyId = utf8(payload.metadata?.[KEY_ID_METADATA]);
      const key = keyId === undefined ? undefined : this.byId.get(keyId);
      if (!key) throw new ValueError(`payload encrypted with key ${keyId ?? '(none named)'}, which is not among TEMPORAL_PAYLOAD_KEYS`);
      const data = payload.data ?? new Uint8Array();
      if (data.length < NONCE_BYTES + TAG_BYTES) throw new ValueError('encrypted payload too short');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      try {
        const plain = Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
        return temporal.api.common.v1.Payload.decode(plain);
      } catch {
        throw new ValueError(`encrypted payload (key ${keyId}) failed authentication: altered, or not sealed with this key`);
      }
    });
  }
}

/** The codecs of every Temporal client and worker the app builds: none when no keys are configured. */
export function payloadCodecsFor(config: { TEMPORAL_PAYLOAD_KEYS: string }): PayloadCodec[] {
  const keys = parsePayloadKeys(config.TEMPORAL_PAYLOAD_KEYS);
  return keys.length > 0 ? [new EncryptionCodec(keys)] : [];
}

export function dataConverterFor(config: { TEMPORAL_PAYLOAD_KEYS: string }): DataConverter {
  return { payloadCodecs: payloadCodecsFor(config) };
}

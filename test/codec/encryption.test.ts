import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter, ValueError, type Payload } from '@temporalio/common';
import { EncryptionCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, parsePayloadKeys, payloadCodecsFor } from '../../codec/encryption.js';
import { loadConfig } from '../../config/index.js';

const keySpec = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const sender = { name: 'Lê Văn Cường', phone: '0901234567', email: 'cuong@example.vn' };

describe('payload encryption codec (AES-256-GCM, key id in the metadata)', () => {
  const old = keySpec('k2025');
  const current = keySpec('k2026a');

  it('a payload is sealed with the current key: binary/encrypted, its key id named, nothing of the value readable', async () => {
    const codec = new EncryptionCodec(parsePayloadKeys(`${current},${old}`));
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(sender)]);
    expect(text(sealed?.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(sealed?.metadata?.[KEY_ID_METADATA])).toBe('k2026a');
    for (const needle of [sender.phone, sender.email, 'json/plain']) expect(Buffer.from(sealed?.data ?? []).includes(needle)).toBe(false);
    const [opened] = await codec.decode([sealed as Payload]);
    expect(defaultPayloadConverter.fromPayload(opened as Payload)).toEqual(sender);
  });

  it('key rotation: a payload sealed with the old key still opens after a new current key is added; new payloads use the new key', async () => {
    const before = new EncryptionCodec(parsePayloadKeys(old));
    const [sealedOld] = await before.encode([defaultPayloadConverter.toPayload(sender)]);
    const rotated = new EncryptionCodec(parsePayloadKeys(`${current},${old}`));
    const [opened] = await rotated.decode([sealedOld as Payload]);
    expect(defaultPayloadConverter.fromPayload(opened as Payload)).toEqual(sender);
    const [sealedNew] = await rotated.encode([defaultPayloadConverter.toPayload(sender)]);
    expect(text(sealedNew?.metadata?.[KEY_ID_METADATA])).toBe('k2026a');
    // A process still on the old keys only cannot open it: every process must know a key before any encrypts with it.
    await expect(before.decode([sealedNew as Payload])).rejects.toThrow(/k2026a.*not among TEMPORAL_PAYLOAD_KEYS/);
  });

  it('payloads without the encryption metadata (histories from before encryption, search attributes) pass through unchanged', async () => {
    const codec = new EncryptionCodec(parsePayloadKeys(current));
    const plain = defaultPayloadConverter.toPayload({ stage: 'received' });
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('an altered ciphertext, or a key id pointing at another key, is refused (GCM authentication)', async () => {
    const codec = new EncryptionCodec(parsePayloadKeys(`${current},${old}`));
    const [sealed] = (await codec.encode([defaultPayloadConverter.toPayload(sender)])) as [Payload];
    const flipped = Buffer.from(sealed.data ?? []);
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    await expect(codec.decode([{ ...sealed, data: flipped }])).rejects.toBeInstanceOf(ValueError);
    await expect(codec.decode([{ ...sealed, metadata: { ...sealed.metadata, [KEY_ID_METADATA]: Buffer.from('k2025') } }])).rejects.toThrow(/failed authentication/);
  });

  it('TEMPORAL_PAYLOAD_KEYS is parsed strictly, and errors never echo key material', () => {
    expect(parsePayloadKeys('')).toEqual([]);
    expect(parsePayloadKeys(` ${current} , ${old} `).map((k) => k.id)).toEqual(['k2026a', 'k2025']);
    const short = `k1:${randomBytes(16).toString('base64')}`;
    expect(() => parsePayloadKeys(short)).toThrow(/exactly 32 bytes/);
    expect(() => parsePayloadKeys(`k1:${'!'.repeat(44)}`)).toThrow(/exactly 32 bytes/);
    expect(() => parsePayloadKeys(randomBytes(32).toString('base64'))).toThrow(/<key id>:<base64 key>/);
    expect(() => parsePayloadKeys(`${current},${current}`)).toThrow(/listed twice/);
    try {
      parsePayloadKeys(short);
    } catch (err) {
      expect((err as Error).message).not.toContain(short.slice(3));
    }
  });

  it('no keys → codec off (plaintext, development and tests); the production profile refuses to start without keys', () => {
    expect(payloadCodecsFor({ TEMPORAL_PAYLOAD_KEYS: '' })).toEqual([]);
    expect(payloadCodecsFor({ TEMPORAL_PAYLOAD_KEYS: current })).toHaveLength(1);
    const production = {
      NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(40), TEMPORAL_TLS_CERT: '/run/secrets/temporal-client.crt', TEMPORAL_TLS_KEY: '/run/secrets/temporal-client.key',
    };
    expect(() => loadConfig(production)).toThrow(/TEMPORAL_PAYLOAD_KEYS must be set in production/);
    expect(() => loadConfig({ ...production, TEMPORAL_PAYLOAD_KEYS: 'k1:not-a-key' })).toThrow(/Invalid configuration: TEMPORAL_PAYLOAD_KEYS/);
    expect(loadConfig({ ...production, TEMPORAL_PAYLOAD_KEYS: current }).TEMPORAL_PAYLOAD_KEYS).toBe(current);
    expect(loadConfig({ NODE_ENV: 'test' }).TEMPORAL_PAYLOAD_KEYS).toBe('');
  });
});

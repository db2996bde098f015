import type { PayloadCodec } from '@temporalio/common';
// @temporalio/proto is CommonJS without static named exports: take the namespace from its default.
import proto from '@temporalio/proto';
import type * as Proto from '@temporalio/proto';
const { temporal } = proto;

type History = Proto.temporal.api.history.v1.IHistory;
type Payload = Proto.temporal.api.common.v1.Payload;

/**
 * A copy of a history with every payload run back through the codecs (decrypted), for reading it
 * in business terms (the audit timeline) — the SDK applies codecs to what a client or worker
 * receives, never to a history it fetches. The history itself is left as it is: exports and the
 * permanent record keep (and hash) the encrypted form.
 */
export async function decodeHistory(history: History, codecs: readonly PayloadCodec[]): Promise<History> {
  if (codecs.length === 0) return history;
  const { History } = temporal.api.history.v1;
  const copy = History.decode(History.encode(history).finish());
  const found: Payload[] = [];
  collectPayloads(copy, found);
  let decoded: Proto.temporal.api.common.v1.IPayload[] = found;
  // Codecs encode in array order, so they decode in reverse.
  for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
  found.forEach((payload, i) => {
    payload.metadata = decoded[i]?.metadata ?? {};
    payload.data = decoded[i]?.data ?? new Uint8Array();
  });
  return copy;
}

// @temporalio/proto's messages are built by protobufjs reflection: each decoded message names its Type in `$type`.
const PAYLOAD_TYPE: unknown = temporal.api.common.v1.Payload;
const isPayload = (value: object): value is Payload => (value as { $type?: unknown }).$type === PAYLOAD_TYPE;

/** Every Payload message anywhere in a decoded proto message (events, failures, headers, memos, search attributes). */
function collectPayloads(value: unknown, into: Payload[]): void {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
  if (isPayload(value)) {
    into.push(value);
    return;
  }
  for (const child of Array.isArray(value) ? value : Object.values(value)) collectPayloads(child, into);
}

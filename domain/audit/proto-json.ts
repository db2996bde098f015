import { createRequire } from 'node:module';
// @temporalio/proto is CommonJS without static named exports: take the namespace from its default.
import proto from '@temporalio/proto';
import type * as Proto from '@temporalio/proto';
const { temporal } = proto;
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root.js';

/**
 * History ⇄ proto3 JSON (the format of `temporal workflow show --output json`), as the SDK's
 * `historyToJSON` / `historyFromJSON` do. Those fail in this install ("type must be a Type"):
 * @temporalio/common and @temporalio/proto each carry their own copy of protobufjs, and the
 * reflected History type of one is not a Type of the other. So the converter is taken from the
 * protobufjs that @temporalio/proto itself uses.
 */
type History = Proto.temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): History | null;
}
const requireHere = createRequire(import.meta.url);
const protojson = createRequire(requireHere.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
// The CommonJS module object itself is the reflection root the patch expects.
const historyType = (patchProtobufRoot(requireHere('@temporalio/proto')) as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export function historyToJson(history: History): { events: Record<string, unknown>[] } {
  return protojson.toJson(historyType, temporal.api.history.v1.History.fromObject(history)) as { events: Record<string, unknown>[] };
}

const constantCase = (s: string) => s.replace(/[^\b][A-Z]/g, (m) => `${m[0]}_${m[1]}`).toUpperCase();
const fixEnum = (value: unknown, prefix: string) => (typeof value === 'string' && !value.startsWith(prefix) ? `${prefix}_${constantCase(value)}` : value);

/** Also reads the older CLI format whose enums were PascalCase ("WorkflowExecutionStarted"). */
export function historyFromJson(json: unknown): History {
  const events = (json as { events?: unknown })?.events;
  if (!Array.isArray(events) || events.length === 0) throw new TypeError('a history is an object with a non-empty array of events');
  const fixed = events.map((e: Record<string, unknown>) => ({ ...e, eventType: fixEnum(e.eventType, 'EVENT_TYPE') }));
  const history = protojson.fromJson(historyType, { events: fixed }, { ignoreUnknownFields: true });
  if (!history) throw new TypeError('invalid history');
  return history;
}

/** P2 — DVCTT test integration: the Temporal definitions; the data types live in domain/dvctt (db/ and api/ read them too) and are re-exported. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ConfirmInput,
  DvcttActionResult,
  DvcttView,
  FixInput,
  NoteInput,
  ProposeInput,
  ReasonInput,
  ReviewInput,
  TestReportInput,
  TthcRepealNotice,
} from '../domain/dvctt/types.js';

export * from '../domain/dvctt/types.js';

export const proposeDvcttUpdate = defineUpdate<DvcttActionResult, [ProposeInput]>('proposeDvcttUpdate');
export const reviewDvcttProposalUpdate = defineUpdate<DvcttActionResult, [ReviewInput]>('reviewDvcttProposalUpdate');
export const submitDvcttTestReportUpdate = defineUpdate<DvcttActionResult, [TestReportInput]>('submitDvcttTestReportUpdate');
export const confirmDvcttTestUpdate = defineUpdate<DvcttActionResult, [ConfirmInput]>('confirmDvcttTestUpdate');
export const suspendDvcttServiceUpdate = defineUpdate<DvcttActionResult, [ReasonInput]>('suspendDvcttServiceUpdate');
export const stopDvcttServiceUpdate = defineUpdate<DvcttActionResult, [ReasonInput]>('stopDvcttServiceUpdate');
export const reportDvcttFixUpdate = defineUpdate<DvcttActionResult, [FixInput]>('reportDvcttFixUpdate');
export const resumeDvcttServiceUpdate = defineUpdate<DvcttActionResult, [NoteInput]>('resumeDvcttServiceUpdate');
export const withdrawDvcttUpdate = defineUpdate<DvcttActionResult, [ReasonInput]>('withdrawDvcttUpdate');
export const closeDvcttLoopUpdate = defineUpdate<DvcttActionResult, [ReasonInput]>('closeDvcttLoopUpdate');

export const dvcttStateQuery = defineQuery<DvcttView>('dvcttState');
export const tthcRepealedSignal = defineSignal<[TthcRepealNotice]>('tthcRepealedSignal');

/**
 * Offline verification of a case export (GET /v1/audit/workflows/:id/history), without the server:
 *   npx tsx scripts/verify-export.ts case.history.json [--expect <sha256>]
 *   curl … | npx tsx scripts/verify-export.ts - --expect <sha256>
 * Recomputes every run's history hash and chain link (RFC 8785 canonical JSON, SHA-256; see
 * domain/audit/export.ts), checks that the runs follow one another with none missing, and, with
 * --expect, that the head is the hash the auditor obtained independently (e.g. from an earlier
 * export or the verification receipt). Exit code 0 only if everything holds.
 */
import { readFileSync } from 'node:fs';
import { checkExport, type HistoryExport } from '../domain/audit/export.js';

function main(): number {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--expect');
  const expectIndex = args.indexOf('--expect');
  const expected = expectIndex >= 0 ? args[expectIndex + 1]?.toLowerCase() : undefined;
  if (!file) {
    process.stderr.write('usage: verify-export.ts <export.json | -> [--expect <sha256>]\n');
    return 2;
  }
  const exported = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8')) as HistoryExport;
  const check = checkExport(exported);
  const headOk = expected === undefined || expected === check.computedSha256;
  const ok = check.hashMatches && check.chainComplete && headOk;
  const report = {
    workflowId: exported.workflowId,
    runs: exported.runs?.length ?? 0,
    computedSha256: check.computedSha256,
    hashMatches: check.hashMatches,
    chainComplete: check.chainComplete,
    ...(expected === undefined ? {} : { expectedSha256: expected, headMatchesExpected: headOk }),
    problems: check.problems,
    verdict: ok ? 'intact' : !check.hashMatches ? 'tampered' : !check.chainComplete ? 'incomplete' : 'not-the-expected-export',
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return ok ? 0 : 1;
}

process.exitCode = main();

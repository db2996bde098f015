import { LEVEL_NAMES, type EvaluationLevel } from '../../../domain/evaluation/index.js';
import { both, esc, local } from '../audit/html.js';

/** The latest published agency evaluation (Art 30.3) as the dashboard shows it. */
export interface DashboardEvaluation {
  run: { id: string; periodFrom: string; periodTo: string; configVersion: number; publishedAt: Date | null };
  results: { agency: string; group: string; score: number | null; level: EvaluationLevel | null; rank: number | null }[];
}

const GROUPS = [
  { group: 'ministry', vi: 'Bộ, ngành', en: 'Ministries and sectors' },
  { group: 'province', vi: 'Địa phương', en: 'Provinces' },
];

/** One table per group: rank, agency, score and level (Vietnamese and English); a link to the public results (no token needed) with every explanation. */
export function evaluationSection(e: DashboardEvaluation | undefined, partyCell: (code: string) => string): string {
  const title = `<h2>${both('Kết quả đánh giá giải quyết TTHC, cung cấp dịch vụ công (Điều 30)', 'Agency evaluation results (Art 30)')}</h2>`;
  if (!e) return `${title}<p class="muted" id="evaluation">${both('Chưa công bố kết quả đánh giá nào', 'No evaluation has been published yet')}</p>`;
  const tables = GROUPS.map(({ group, vi, en }) => {
    const rows = e.results.filter((r) => r.group === group);
    if (rows.length === 0) return '';
    const body = rows.map((r) => `<tr data-agency="${esc(r.agency)}" data-level="${r.level ?? ''}" data-score="${r.score ?? ''}"><td>${r.rank ?? '—'}</td><td>${partyCell(r.agency)}</td>` +
      `<td>${r.score === null ? '—' : r.score.toFixed(2)}</td><td>${r.level ? both(LEVEL_NAMES[r.level].vi, LEVEL_NAMES[r.level].en) : both('Chưa xếp loại', 'Not classified')}</td></tr>`).join('\n');
    return `<h3>${both(vi, en)}</h3><table id="evaluation-${group}"><tr><th>${both('Hạng', 'Rank')}</th><th>${both('Cơ quan', 'Agency')}</th><th>${both('Điểm', 'Score')}</th><th>${both('Mức', 'Level')}</th></tr>\n${body}</table>`;
  }).join('\n');
  const published = e.run.publishedAt ? local(e.run.publishedAt) : '';
  return `${title}<div id="evaluation" data-run-id="${esc(e.run.id)}">
<p class="muted">${both(`Kỳ ${e.run.periodFrom} – ${e.run.periodTo}, công bố ${published}, cấu hình phiên bản ${e.run.configVersion}`, `Period ${e.run.periodFrom} – ${e.run.periodTo}, published ${published}, configuration version ${e.run.configVersion}`)} —
<a href="/v1/evaluation/results">${both('chi tiết, cách tính', 'details and how each score was made')}</a></p>
${tables}</div>`;
}

import { EVALUATION_LEVELS, LEVEL_NAMES, type EvaluationConfig, type EvaluationLevel } from './config.js';
import { INDICATOR_KEYS, type IndicatorCounts, type IndicatorKey } from './indicators.js';

/** Ministries and sectors are ranked together (bộ, ngành), provinces among themselves (địa phương). */
export type EvaluationGroup = 'ministry' | 'province';

export interface EvaluatedAgency {
  code: string;
  group: EvaluationGroup;
}

/**
 * One indicator of one agency, with everything needed to recompute its points by hand (its names,
 * measure and source are in the catalogue, INDICATORS, by key).
 */
export interface IndicatorResult {
  key: IndicatorKey;
  numerator: number | null;
  denominator: number | null;
  /** The rate (null: no data in the period). */
  value: number | null;
  /** 100 × the rate. */
  score: number | null;
  /** The configured weight (points out of 100). */
  weight: number;
  /** The weight once the indicators without data are left out and the rest scaled up to 100. */
  effectiveWeight: number;
  /** score × effectiveWeight / 100: the indicator's share of the total score. */
  points: number;
}

export interface LevelThreshold {
  level: EvaluationLevel;
  nameVi: string;
  nameEn: string;
  /** The lowest score of the level. */
  minScore: number;
  /** The level above and its lowest score (none for the top level). */
  next: { level: EvaluationLevel; minScore: number } | null;
}

export interface AgencyEvaluation {
  agency: string;
  group: EvaluationGroup;
  /** 0–100, two decimals; null when the agency is not classified. */
  score: number | null;
  level: EvaluationLevel | null;
  threshold: LevelThreshold | null;
  /** Share of the configured weights the agency had data for. */
  coverage: number;
  /** Rank in its group (ties share a rank); null when not classified. */
  rank: number | null;
  indicators: IndicatorResult[];
  /** One sentence, Vietnamese then English, saying how the level came out. */
  explanation: string;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/** The level a score falls in, with its band. */
export function levelOf(score: number, thresholds: EvaluationConfig['thresholds']): LevelThreshold {
  const index = EVALUATION_LEVELS.findIndex((level) => score >= thresholds[level]);
  const i = index < 0 ? EVALUATION_LEVELS.length - 1 : index;
  const level = EVALUATION_LEVELS[i]!;
  const above = i > 0 ? EVALUATION_LEVELS[i - 1]! : undefined;
  return {
    level, nameVi: LEVEL_NAMES[level].vi, nameEn: LEVEL_NAMES[level].en, minScore: thresholds[level],
    next: above ? { level: above, minScore: thresholds[above] } : null,
  };
}

/**
 * One agency's score: each indicator with data scores 100 × its rate; the weights of those with
 * data are scaled up to 100 (project rule: an agency is not marked down for data it cannot have,
 * e.g. a ministry with no online payments), and the agency is classified only when the indicators
 * with data carry at least `minCoverage` of the weights.
 */
export function scoreAgency(agency: EvaluatedAgency, counts: IndicatorCounts, config: EvaluationConfig): Omit<AgencyEvaluation, 'rank'> {
  const measured = INDICATOR_KEYS.map((key) => {
    const count = counts[key]?.[agency.code];
    const value = count && count.denominator > 0 ? count.numerator / count.denominator : null;
    return { key, count, value, weight: config.weights[key] };
  });
  const weightWithData = measured.reduce((sum, m) => sum + (m.value === null ? 0 : m.weight), 0);
  const coverage = round4(weightWithData / 100);
  const indicators: IndicatorResult[] = measured.map(({ key, count, value, weight }) => {
    const score = value === null ? null : round2(100 * value);
    const effectiveWeight = value === null || weightWithData === 0 ? 0 : round4((weight * 100) / weightWithData);
    return {
      key,
      numerator: count && count.denominator > 0 ? count.numerator : null,
      denominator: count && count.denominator > 0 ? count.denominator : null,
      value: value === null ? null : round4(value),
      score, weight, effectiveWeight,
      points: value === null || weightWithData === 0 ? 0 : round4((100 * value * weight) / weightWithData),
    };
  });
  if (weightWithData === 0 || coverage < config.minCoverage) {
    return {
      agency: agency.code, group: agency.group, score: null, level: null, threshold: null, coverage, indicators,
      explanation: `Chưa xếp loại: dữ liệu chỉ có cho ${Math.round(coverage * 100)}% trọng số (cần ${Math.round(config.minCoverage * 100)}%). / ` +
        `Not classified: data for ${Math.round(coverage * 100)}% of the weights (${Math.round(config.minCoverage * 100)}% needed).`,
    };
  }
  // The sum of the unrounded parts, so the total does not depend on the display rounding.
  const score = round2(measured.reduce((sum, m) => sum + (m.value === null ? 0 : (100 * m.value * m.weight) / weightWithData), 0));
  const threshold = levelOf(score, config.thresholds);
  const band = threshold.next ? `[${threshold.minScore}, ${threshold.next.minScore})` : `≥ ${threshold.minScore}`;
  return {
    agency: agency.code, group: agency.group, score, level: threshold.level, threshold, coverage, indicators,
    explanation: `${score} điểm, mức ${threshold.nameVi} ${band}; dữ liệu cho ${Math.round(coverage * 100)}% trọng số. / ` +
      `${score} points, level ${threshold.nameEn} ${band}; data for ${Math.round(coverage * 100)}% of the weights.`,
  };
}

/** Every agency scored and ranked within its group (ties share a rank, the next rank skips). */
export function evaluateAgencies(agencies: EvaluatedAgency[], counts: IndicatorCounts, config: EvaluationConfig): AgencyEvaluation[] {
  const scored = agencies.map((a) => ({ ...scoreAgency(a, counts, config), rank: null as number | null }));
  for (const group of ['ministry', 'province'] as const) {
    const ranked = scored.filter((r) => r.group === group && r.score !== null).sort((a, b) => b.score! - a.score!);
    ranked.forEach((r, i) => {
      r.rank = i > 0 && ranked[i - 1]!.score === r.score ? ranked[i - 1]!.rank : i + 1;
    });
  }
  return scored.sort((a, b) => a.group.localeCompare(b.group) || (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.agency.localeCompare(b.agency));
}

/** How many agencies fall in each level, and how many are not classified. */
export function levelCounts(results: Pick<AgencyEvaluation, 'level'>[]): Record<EvaluationLevel | 'notClassified', number> {
  const counts = { excellent: 0, good: 0, fair: 0, average: 0, weak: 0, notClassified: 0 };
  for (const r of results) counts[r.level ?? 'notClassified']++;
  return counts;
}

import { INDICATOR_KEYS, type IndicatorKey } from './indicators.js';

/** The five levels of Art 30.2, best first. */
export const EVALUATION_LEVELS = ['excellent', 'good', 'fair', 'average', 'weak'] as const;
export type EvaluationLevel = (typeof EVALUATION_LEVELS)[number];

export const LEVEL_NAMES: Readonly<Record<EvaluationLevel, { vi: string; en: string }>> = {
  excellent: { vi: 'Xuất sắc', en: 'Excellent' },
  good: { vi: 'Tốt', en: 'Good' },
  fair: { vi: 'Khá', en: 'Fair' },
  average: { vi: 'Trung bình', en: 'Average' },
  weak: { vi: 'Yếu', en: 'Weak' },
};

/**
 * What VPCP sets (Art 30.4: it issues the criteria and method): the weight of each indicator, the
 * lowest score of each level, and the share of the weights an agency must have data for to be
 * classified at all. Stored as numbered versions; a change is a new version, never an edit.
 */
export interface EvaluationConfig {
  /** Points of each indicator out of 100 (0 leaves it out). */
  weights: Record<IndicatorKey, number>;
  /** The lowest score (0–100) of each level; strictly lower from `excellent` down, `weak` at 0. */
  thresholds: Record<EvaluationLevel, number>;
  /** Share (0–1) of the weights an agency needs data for; below it the agency is not classified. */
  minCoverage: number;
  /** The legal source or instruction the weights and thresholds come from (Art 30.4). */
  source: string;
}

export interface StoredEvaluationConfig {
  version: number;
  config: EvaluationConfig;
  reason: string;
  createdBy: string;
  createdAt: string;
}

/**
 * Version 1 (project rule: the Regulation fixes the five levels, Art 30.2, not the weights or the
 * bands). Weights: 15 for the connection (Art 30.1a), 85 shared over the data groups of Art 30.1b —
 * TTHC 25, online services 20, payments 15, feedback 25, feedback weighing most since it is the
 * citizen's own voice. Bands: a 100-point scale with 90 / 80 / 65 / 50.
 */
export const DEFAULT_EVALUATION_CONFIG: EvaluationConfig = {
  weights: {
    connectionUptime: 10,
    securityServerNotice: 5,
    tthcPublicationOnTime: 10,
    tthcIssuedBeforeEffect: 5,
    tthcReviewFixOnTime: 5,
    tthcDataQuality: 5,
    dvcttLive: 10,
    dvcttTestOnTime: 5,
    dvcttNotSuspended: 5,
    paymentReconciliationUploads: 10,
    paymentDiscrepancyOnTime: 5,
    feedbackOnTime: 15,
    feedbackAnswered: 10,
  },
  thresholds: { excellent: 90, good: 80, fair: 65, average: 50, weak: 0 },
  minCoverage: 0.5,
  source: 'Regulation Art 30.1–30.2 (five levels); weights and bands: project rule until VPCP issues the criteria (Art 30.4)',
};

export interface ConfigProblem {
  path: string;
  message: string;
}

/** Every reason a configuration cannot be used (empty when it can). */
export function configProblems(config: EvaluationConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const weightKeys = Object.keys(config.weights);
  for (const key of weightKeys) {
    if (!(INDICATOR_KEYS as readonly string[]).includes(key)) problems.push({ path: `weights.${key}`, message: 'not an indicator' });
  }
  for (const key of INDICATOR_KEYS) {
    const w = config.weights[key];
    if (w === undefined) problems.push({ path: `weights.${key}`, message: 'missing (0 leaves the indicator out)' });
    else if (!Number.isFinite(w) || w < 0 || w > 100) problems.push({ path: `weights.${key}`, message: 'a number from 0 to 100' });
  }
  const total = INDICATOR_KEYS.reduce((sum, key) => sum + (config.weights[key] ?? 0), 0);
  if (Math.abs(total - 100) > 1e-9) problems.push({ path: 'weights', message: `the weights must add up to 100 (they add up to ${total})` });

  for (const level of EVALUATION_LEVELS) {
    const t = config.thresholds[level];
    if (t === undefined || !Number.isFinite(t) || t < 0 || t > 100) problems.push({ path: `thresholds.${level}`, message: 'a score from 0 to 100' });
  }
  if (config.thresholds.weak !== 0) problems.push({ path: 'thresholds.weak', message: 'the lowest level starts at 0 (every score has a level)' });
  for (let i = 1; i < EVALUATION_LEVELS.length; i++) {
    const higher = EVALUATION_LEVELS[i - 1]!;
    const lower = EVALUATION_LEVELS[i]!;
    if (!(config.thresholds[lower] < config.thresholds[higher])) {
      problems.push({ path: `thresholds.${lower}`, message: `must be lower than ${higher} (${config.thresholds[higher]})` });
    }
  }
  if (!Number.isFinite(config.minCoverage) || config.minCoverage < 0 || config.minCoverage > 1) {
    problems.push({ path: 'minCoverage', message: 'a share from 0 to 1' });
  }
  if (config.source.trim().length < 3) problems.push({ path: 'source', message: 'cite the legal source or instruction' });
  return problems;
}

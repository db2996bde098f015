import { describe, expect, it } from 'vitest';
import {
  configProblems,
  DEFAULT_EVALUATION_CONFIG,
  EVALUATION_LEVELS,
  evaluateAgencies,
  INDICATOR_KEYS,
  INDICATORS,
  LEVEL_NAMES,
  levelCounts,
  levelOf,
  periodInstants,
  previousYear,
  scoreAgency,
  type EvaluationConfig,
  type IndicatorCounts,
} from '../../domain/evaluation/index.js';

const config = DEFAULT_EVALUATION_CONFIG;
const with_ = (patch: Partial<EvaluationConfig>): EvaluationConfig => ({ ...config, ...patch });

describe('Art 30.2: five levels by score', () => {
  it('Art 30.2: the levels are Xuất sắc, Tốt, Khá, Trung bình, Yếu, best first', () => {
    expect(EVALUATION_LEVELS.map((l) => LEVEL_NAMES[l].vi)).toEqual(['Xuất sắc', 'Tốt', 'Khá', 'Trung bình', 'Yếu']);
  });

  it('Art 30.2: a score falls in the band from its level\'s threshold up to the next one\'s (lower bound inclusive)', () => {
    const { thresholds } = config;
    expect(levelOf(thresholds.excellent, thresholds)).toMatchObject({ level: 'excellent', next: null });
    expect(levelOf(thresholds.excellent - 0.01, thresholds)).toMatchObject({ level: 'good', minScore: thresholds.good, next: { level: 'excellent', minScore: thresholds.excellent } });
    expect(levelOf(thresholds.fair, thresholds).level).toBe('fair');
    expect(levelOf(thresholds.average - 0.01, thresholds).level).toBe('weak');
    expect(levelOf(0, thresholds)).toMatchObject({ level: 'weak', nameVi: 'Yếu', minScore: 0, next: { level: 'average' } });
  });
});

describe('Art 30.4: the weights and thresholds VPCP sets are checked before they become a version', () => {
  it('Art 30.4: the default configuration is usable, covers every indicator and cites its source', () => {
    expect(configProblems(config)).toEqual([]);
    expect(Object.keys(config.weights).sort()).toEqual([...INDICATOR_KEYS].sort());
    expect(config.source).toMatch(/Art 30/);
  });

  it('Art 30.4: weights not adding up to 100, a missing or unknown indicator, unordered thresholds, no source are refused with where', () => {
    const { feedbackAnswered: _dropped, ...missing } = config.weights;
    const problems = configProblems(with_({
      weights: { ...missing, feedbackOnTime: 30, unknown: 0 } as unknown as EvaluationConfig['weights'],
      thresholds: { excellent: 90, good: 80, fair: 80, average: 50, weak: 10 },
      minCoverage: 1.5,
      source: ' ',
    }));
    expect(problems.map((p) => p.path)).toEqual([
      'weights.unknown', 'weights.feedbackAnswered', 'weights', 'thresholds.weak', 'thresholds.fair', 'minCoverage', 'source',
    ]);
    expect(problems.find((p) => p.path === 'weights')!.message).toBe('the weights must add up to 100 (they add up to 105)');
  });
});

describe('Art 30.1: each agency scored from its indicators, explaining itself', () => {
  const counts: IndicatorCounts = {
    tthcPublicationOnTime: { A: { numerator: 8, denominator: 10 }, P: { numerator: 1, denominator: 1 } },
    feedbackOnTime: { A: { numerator: 9, denominator: 10 }, B: { numerator: 1, denominator: 1 } },
    connectionUptime: { A: { numerator: 99, denominator: 100 } },
    tthcIssuedBeforeEffect: { A: { numerator: 1, denominator: 2 } },
    feedbackAnswered: { A: { numerator: 3, denominator: 4 }, B: { numerator: 0, denominator: 0 } },
  };

  it('Art 30.1: indicators without data are left out and the other weights scaled up to 100; score, points and band add up', () => {
    const r = scoreAgency({ code: 'A', group: 'ministry' }, counts, config);
    const w = config.weights;
    const withData = w.tthcPublicationOnTime + w.feedbackOnTime + w.connectionUptime + w.feedbackAnswered + w.tthcIssuedBeforeEffect;
    const expected = (80 * w.tthcPublicationOnTime + 90 * w.feedbackOnTime + 99 * w.connectionUptime + 75 * w.feedbackAnswered + 50 * w.tthcIssuedBeforeEffect) / withData;
    expect(r.score).toBeCloseTo(expected, 2);
    expect(r.coverage).toBeCloseTo(withData / 100, 4);
    expect(r.level).toBe(levelOf(r.score!, config.thresholds).level);
    expect(r.threshold!.minScore).toBeLessThanOrEqual(r.score!);
    const feedback = r.indicators.find((i) => i.key === 'feedbackOnTime')!;
    expect(feedback).toMatchObject({ numerator: 9, denominator: 10, value: 0.9, score: 90, weight: w.feedbackOnTime });
    expect(feedback.effectiveWeight).toBeCloseTo((w.feedbackOnTime * 100) / withData, 3);
    const noData = r.indicators.find((i) => i.key === 'dvcttLive')!;
    expect(noData).toMatchObject({ value: null, score: null, effectiveWeight: 0, points: 0 });
    expect(r.indicators.reduce((s, i) => s + i.points, 0)).toBeCloseTo(r.score!, 2);
    expect(r.explanation).toContain(`${r.score} điểm, mức ${LEVEL_NAMES[r.level!].vi}`);
    expect(r.explanation).toContain(`level ${LEVEL_NAMES[r.level!].en}`);
    expect(INDICATORS[feedback.key].source).toMatch(/Art 30\.1b/);
  });

  it('Art 30.1 (project rule): an agency with data for less than minCoverage of the weights is not classified, and says why', () => {
    const b = scoreAgency({ code: 'B', group: 'province' }, counts, config);
    expect(b).toMatchObject({ score: null, level: null, threshold: null });
    expect(b.coverage).toBeCloseTo(config.weights.feedbackOnTime / 100, 4);
    expect(b.explanation).toMatch(/^Chưa xếp loại/);
    expect(scoreAgency({ code: 'B', group: 'province' }, counts, with_({ minCoverage: 0.1 })).level).toBe('excellent');
  });

  it('Art 30.1: ministries and provinces are ranked within their group, ties sharing a rank', () => {
    const tie: IndicatorCounts = { feedbackOnTime: { M1: { numerator: 1, denominator: 2 }, M2: { numerator: 2, denominator: 2 }, M3: { numerator: 2, denominator: 2 }, P1: { numerator: 0, denominator: 1 } } };
    const loose = with_({ minCoverage: 0 });
    const results = evaluateAgencies(
      [{ code: 'M1', group: 'ministry' }, { code: 'M2', group: 'ministry' }, { code: 'M3', group: 'ministry' }, { code: 'P1', group: 'province' }, { code: 'P2', group: 'province' }],
      tie, loose,
    );
    expect(results.map((r) => [r.agency, r.rank, r.level])).toEqual([
      ['M2', 1, 'excellent'], ['M3', 1, 'excellent'], ['M1', 3, 'average'], ['P1', 1, 'weak'], ['P2', null, null],
    ]);
    expect(levelCounts(results)).toEqual({ excellent: 2, good: 0, fair: 0, average: 1, weak: 1, notClassified: 1 });
  });
});

describe('Art 30.3: the yearly publication covers the previous local calendar year', () => {
  it('Art 30.3: just after local midnight on 1 January (still 31 December in UTC) the previous year is the one that just ended', () => {
    expect(previousYear('2026-12-31T17:30:00Z')).toEqual({ from: '2026-01-01', to: '2026-12-31' });
    expect(previousYear('2026-12-31T16:30:00Z')).toEqual({ from: '2025-01-01', to: '2025-12-31' });
  });

  it('Art 30.3: a period is whole local days, from 00:00 +07:00 of its first day to 00:00 +07:00 after its last', () => {
    const { start, end } = periodInstants({ from: '2025-01-01', to: '2025-12-31' });
    expect(start.toISOString()).toBe('2024-12-31T17:00:00.000Z');
    expect(end.toISOString()).toBe('2025-12-31T17:00:00.000Z');
  });
});

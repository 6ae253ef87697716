/** Promotions as metrics: how many, how they ended, how long the successful ones took. */
import { Counter, Histogram, type Registry } from 'prom-client';
import { InvalidObserveOptionsError } from './errors.js';

/** Default promotion-duration buckets (seconds): a promotion syncs a short tail, so most land in milliseconds. */
export const DEFAULT_PROMOTION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** What a promotion reports that the metrics use (a `PromotionReport` fits). */
export interface PromotionMeasure {
  /** Wall time of the promotion in milliseconds. */
  readonly durationMs: number;
  /** Events of the log's tail the mirror applied while taking over. */
  readonly tailEvents?: number;
}

/** Records promotions; see {@link promotionMetrics}. */
export interface PromotionRecorder {
  /** One successful promotion. @throws InvalidObserveOptionsError when `durationMs` is not a finite number >= 0 */
  recordPromotion(measure: PromotionMeasure): void;
  /** One promotion that failed (refused, lost the race for the epoch, or broke after its claim). */
  recordPromotionFailure(): void;
  /** Records the outcome of `promotion` (a `promote(...)` call) and hands it back unchanged. */
  observePromotion<R extends PromotionMeasure>(promotion: Promise<R>): Promise<R>;
}

/**
 * Registers `wfmirror_promotions_total{outcome}`, `wfmirror_promotion_duration_seconds` and
 * `wfmirror_promotion_tail_events_total` in `registry`.
 */
export function promotionMetrics(registry: Registry, buckets: readonly number[] = DEFAULT_PROMOTION_BUCKETS): PromotionRecorder {
  const promotions = new Counter({
    name: 'wfmirror_promotions_total',
    help: 'Promotions of a mirror to primary, by outcome (promoted, failed).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'wfmirror_promotion_duration_seconds',
    help: 'Wall time of each successful promotion, from the decision to the new primary running.',
    buckets: [...buckets],
    registers: [registry],
  });
  const tail = new Counter({
    name: 'wfmirror_promotion_tail_events_total',
    help: 'Events of the log tail mirrors applied while being promoted (the sync a full replay would have redone from event 1).',
    registers: [registry],
  });
  promotions.inc({ outcome: 'promoted' }, 0);
  promotions.inc({ outcome: 'failed' }, 0);
  tail.inc(0);

  const recorder: PromotionRecorder = {
    recordPromotion(measure) {
      const ms: unknown = measure?.durationMs;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new InvalidObserveOptionsError('recordPromotion.durationMs', `must be a finite number >= 0 (got ${String(ms)})`);
      }
      const events = measure.tailEvents;
      promotions.inc({ outcome: 'promoted' });
      duration.observe(ms / 1000);
      if (typeof events === 'number' && Number.isFinite(events) && events > 0) tail.inc(events);
    },
    recordPromotionFailure() {
      promotions.inc({ outcome: 'failed' });
    },
    observePromotion(promotion) {
      return promotion.then(
        (report) => {
          recorder.recordPromotion(report);
          return report;
        },
        (error: unknown) => {
          recorder.recordPromotionFailure();
          throw error;
        },
      );
    },
  };
  return recorder;
}

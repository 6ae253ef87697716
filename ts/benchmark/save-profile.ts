/**
 * `wfmirror bench --save-profile`: the run as a hardware profile, made by calibration's own code
 * (`calibratedProfile`: the base profile's settings, match rules for this machine, the measured
 * order ending with js, the crossover) and validated against the profile schema like any profile
 * file, so it loads with `accelerator.profile` and `wfmirror detect --profile`.
 *
 * The bench measures one batch size, so the crossover is that size when a GPU backend was the
 * fastest there and 0 otherwise; `wfmirror calibrate` measures it across sizes.
 */
import { hostname } from 'node:os';
import { calibratedProfile } from '../hardware/calibrate.js';
import type { HardwareProfile, MeasuredTiming } from '../hardware/types.js';
import { parseProfile } from '../hardware/validate-profile.js';
import { NothingMeasuredError } from './errors.js';
import { type BenchmarkReport, measuredBackends } from './report.js';

/**
 * The profile for the machine `report` ran on, from `base` (the profile chosen for it).
 * @throws NothingMeasuredError when no backend was measured
 * @throws InvalidHardwareProfileError if the result does not validate (a bug: it is checked, not trusted)
 */
export function benchmarkProfile(report: BenchmarkReport, base: HardwareProfile): HardwareProfile {
  const measured = measuredBackends(report);
  if (measured.length === 0) throw new NothingMeasuredError();
  const { plan } = report;
  const timings: MeasuredTiming[] = measured.map((m) => ({
    backend: m.backend,
    rows: plan.rows,
    medianMs: m.medianMs,
    samples: m.samples,
  }));
  const date = new Date(report.date);
  const calibrated = calibratedProfile(
    base,
    report.machine,
    { rows: [plan.rows], fieldCount: plan.fieldCount, samples: plan.minSamples },
    timings,
    date,
  );
  const order = calibrated.backendOrder.join(' > ');
  const profile: HardwareProfile = {
    ...calibrated,
    name: `bench-${base.name}`,
    description: `Measured by wfmirror bench on ${hostname()} (${report.date.slice(0, 10)}) from the ${base.name} profile: backends ordered by their median time on ${plan.rows} rows x ${plan.fieldCount} fields (${order}); crossoverRows ${calibrated.crossoverRows === 0 ? 'is 0: no GPU backend was the fastest' : 'is the one size measured, where a GPU backend was the fastest'}.`,
    // The order was measured with piscina on this many workers (the base profile's count may differ).
    workers: plan.threads,
  };
  // Through JSON, as it will be read back: what validates is what is written.
  return parseProfile(JSON.parse(JSON.stringify(profile)), '(wfmirror bench profile)');
}

import { CronRunner } from '../runtime/cron-runner.js';
import type { Containment } from '../runtime/process/contain.js';
import type { Clock } from '../runtime/clock.js';
import type { MetricsSampler } from '../runtime/metrics.js';
import type { RunHistory } from '../runtime/run-history.js';
import type { Scheduler } from '../runtime/scheduler.js';
import { ServiceRunner } from '../runtime/service-runner.js';
import type { StateStore } from '../runtime/state-store.js';
import type { Marks } from '../runtime/task-marks.js';
import type { FiringGate, TaskRunner } from '../runtime/task-runner.js';
import type { HomePaths } from '../shared/paths.js';
import type { TaskSpec } from '../shared/types.js';
import type { RunnerFactory } from './registry.js';
import type { ScaleController } from './scale-controller.js';

export interface RunnerDeps {
  paths: Pick<HomePaths, 'runLog' | 'runLogDir' | 'instanceLog'>;
  scheduler: Scheduler;
  history: RunHistory;
  lastFired: Marks<number>;
  scale: ScaleController;
  /** For child records (orphan sweep). */
  store?: StateStore;
  sampler?: MetricsSampler;
  /** Asked before each scheduled cron firing starts (e.g. a fleet lock). @default none */
  gate?: FiringGate;
  clock?: Clock;
  random?: () => number;
  baseEnv?: Record<string, string>;
  /** The home's containment. @default process groups alone */
  containment?: Containment;
}

/** The one place that knows which runner serves which kind of task. */
export function runnerFactory(d: RunnerDeps): RunnerFactory {
  const common = {
    ...(d.store ? { store: d.store } : {}), ...(d.clock ? { clock: d.clock } : {}),
    ...(d.random ? { random: d.random } : {}), ...(d.baseEnv ? { baseEnv: d.baseEnv } : {}),
    ...(d.containment ? { containment: d.containment } : {}),
  };
  return {
    create(spec: TaskSpec, opts: { catchUp: boolean }): TaskRunner {
      if (spec.kind === 'cron') {
        const runner = new CronRunner({
          spec, paths: d.paths, history: d.history, lastFired: d.lastFired, scheduler: d.scheduler, ...common,
          ...(d.gate ? { gate: d.gate } : {}),
        });
        if (opts.catchUp && spec.enabled) runner.catchUp((d.clock?.now ?? Date.now)());
        return runner;
      }
      const runner: ServiceRunner = new ServiceRunner({
        spec, paths: d.paths, ...common, ...(d.sampler ? { sampler: d.sampler } : {}),
        count: d.scale.countFor(spec),
        scaleInfo: () => d.scale.info(runner.spec, runner.instanceCount),
      });
      return runner;
    },
  };
}

// Admission control for checks (backpressure): a bound on the checks in flight and, when asked
// for, shedding while the event loop lags. A refused check is answered at once by the
// orchestrator with a deny (internal_error, detail `overloaded_*`): never queued, never an allow,
// never a gRPC error that Envoy's failure_mode_allow could turn into an allow. Decides nothing else.

import { Counter, Gauge, type Registry } from 'prom-client';

export const OVERLOADED_IN_FLIGHT = 'overloaded_in_flight';
export const OVERLOADED_EVENT_LOOP = 'overloaded_event_loop';

export interface AdmissionOptions {
  /** Checks in flight at once (decode → response, key waits included); 0: no bound. */
  readonly maxInFlight: number;
  /** Shed while the event loop is late by more than this (ms); 0: off. */
  readonly maxEventLoopDelayMs: number;
  /** Period of the timer whose lateness is the event-loop delay (default 20 ms). */
  readonly sampleMs?: number;
  /** Where `tollgate_checks_in_flight` and `tollgate_checks_shed_total` are registered. */
  readonly registry?: Registry;
  /** Milliseconds, monotonic; injectable for tests. */
  readonly now?: () => number;
}

export interface Admission {
  /** undefined: admitted, and leave() must follow once answered; else the detail of the refusal. */
  enter(): string | undefined;
  leave(): void;
  readonly inFlight: number;
  close(): void;
}

/**
 * The delay is how late a short repeating timer fires. (perf_hooks.monitorEventLoopDelay takes no
 * samples at all while the loop never idles, which is exactly the saturation to detect.)
 */
function delayWatch(periodMs: number, now: () => number, onSample: (lateMs: number) => void): ReturnType<typeof setInterval> {
  let last = now();
  const timer = setInterval(() => {
    const t = now();
    onSample(t - last - periodMs);
    last = t;
  }, periodMs);
  timer.unref();
  return timer;
}

function shedCounter(registry: Registry | undefined): { inFlight(): void; eventLoop(): void } {
  if (registry === undefined) return { inFlight: () => undefined, eventLoop: () => undefined };
  const shed = new Counter({
    name: 'tollgate_checks_shed_total',
    help: 'Checks refused at once (deny internal_error, detail overloaded_*) because of load, by cause.',
    labelNames: ['cause'] as const,
    registers: [registry],
  });
  const inFlight = shed.labels('in_flight');
  const eventLoop = shed.labels('event_loop');
  inFlight.inc(0);
  eventLoop.inc(0);
  return { inFlight: () => inFlight.inc(), eventLoop: () => eventLoop.inc() };
}

export function createAdmission(options: AdmissionOptions): Admission {
  const { maxInFlight, maxEventLoopDelayMs } = options;
  const shed = shedCounter(options.registry);
  let inFlight = 0;
  let lagging = false;
  const timer = maxEventLoopDelayMs > 0
    ? delayWatch(options.sampleMs ?? 20, options.now ?? (() => performance.now()), (late) => (lagging = late > maxEventLoopDelayMs))
    : undefined;
  if (options.registry !== undefined) {
    new Gauge({
      name: 'tollgate_checks_in_flight',
      help: 'Checks being answered right now (including those waiting for a key set).',
      registers: [options.registry],
      collect() {
        this.set(inFlight);
      },
    });
  }
  return {
    enter(): string | undefined {
      if (lagging) {
        shed.eventLoop();
        return OVERLOADED_EVENT_LOOP;
      }
      if (maxInFlight > 0 && inFlight >= maxInFlight) {
        shed.inFlight();
        return OVERLOADED_IN_FLIGHT;
      }
      inFlight++;
      return undefined;
    },
    leave(): void {
      if (inFlight > 0) inFlight--;
    },
    get inFlight(): number {
      return inFlight;
    },
    close(): void {
      if (timer !== undefined) clearInterval(timer);
      lagging = false;
    },
  };
}

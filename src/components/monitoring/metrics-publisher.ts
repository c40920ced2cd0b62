import type { MetricDatum, StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { Json } from '../../core/contracts.js';
import { messages } from '../../core/messages.js';
import type { ComponentSyncSample, SyncObserver } from '../../core/sync-observer.js';
import { METRICS } from './monitoring-shared.js';

// The figures `sync` reports about once a second, published to CloudWatch at most once a minute per
// component: each component's samples are folded into statistic sets (count, sum, min, max) and sent
// in ONE PutMetricData call per component per interval, both with dimensions Project + Component and
// with Project alone (the alarms watch the project-wide figures, the dashboard the per-component
// ones). A failed call (throttling or any other) drops that batch and counts it; nothing is retried
// and nothing is thrown, so sync never waits on, or stops for, its metrics.

export interface PublisherOptions {
  namespace: string;
  project: string;
  /** One PutMetricData call; rejects on failure. */
  publish(namespace: string, data: MetricDatum[]): Promise<void>;
  /** ms since the epoch; injectable so tests move time without sleeping. */
  now?: () => number;
  /** Least time between two calls for one component (CloudWatch's cost unit is the call). */
  intervalMs?: number;
  isThrottling?(error: unknown): boolean;
  log?(message: string): void;
}

interface Stat {
  count: number;
  sum: number;
  min: number;
  max: number;
}

type Buffer = Map<string, Stat>;

export interface PublisherCounters {
  calls: number;
  published: number;
  failedCalls: number;
  droppedDatums: number;
  throttled: number;
  lastError?: string;
  lastPublishedAt?: string;
}

const UNITS: Record<string, StandardUnit> = {
  [METRICS.lagSeconds]: 'Seconds',
  [METRICS.lagBytes]: 'Bytes',
  [METRICS.changesPerSecond]: 'Count/Second',
  [METRICS.errors]: 'Count',
};

export class MetricsPublisher implements SyncObserver {
  private readonly buffers = new Map<string, Buffer>();
  private readonly lastSent = new Map<string, number>();
  private readonly lastErrors = new Map<string, number>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly now: () => number;
  private readonly interval: number;
  readonly counters: PublisherCounters = {
    calls: 0,
    published: 0,
    failedCalls: 0,
    droppedDatums: 0,
    throttled: 0,
  };

  constructor(private readonly options: PublisherOptions) {
    this.now = options.now ?? Date.now;
    this.interval = options.intervalMs ?? 60_000;
  }

  observe(samples: readonly ComponentSyncSample[]): void {
    const t = this.now();
    const byComponent = new Map<string, ComponentSyncSample[]>();
    for (const s of samples) byComponent.set(s.component, [...(byComponent.get(s.component) ?? []), s]);
    for (const [component, list] of byComponent) {
      const buffer = this.buffers.get(component) ?? new Map<string, Stat>();
      this.buffers.set(component, buffer);
      const errors = list.reduce((n, s) => n + s.errors, 0);
      // Errors is a count of new errors since the last sample (the engine's figure is cumulative).
      const newErrors = Math.max(0, errors - (this.lastErrors.get(component) ?? 0));
      this.lastErrors.set(component, errors);
      const lag = list.map((s) => s.lagSeconds).filter((v): v is number => v !== undefined);
      const bytes = list.map((s) => s.lagBytes).filter((v): v is number => v !== undefined);
      if (lag.length > 0) add(buffer, METRICS.lagSeconds, Math.max(...lag));
      if (bytes.length > 0)
        add(
          buffer,
          METRICS.lagBytes,
          bytes.reduce((a, b) => a + b, 0),
        );
      add(
        buffer,
        METRICS.changesPerSecond,
        list.reduce((n, s) => n + s.changesPerSecond, 0),
      );
      add(buffer, METRICS.errors, newErrors);
      const last = this.lastSent.get(component);
      if (last === undefined || t - last >= this.interval) this.flush(component, t);
    }
  }

  private flush(component: string, t: number): void {
    const buffer = this.buffers.get(component);
    if (!buffer || buffer.size === 0) return;
    this.buffers.set(component, new Map());
    this.lastSent.set(component, t);
    const at = new Date(t);
    const dims = [
      [
        { Name: 'Project', Value: this.options.project },
        { Name: 'Component', Value: component },
      ],
      [{ Name: 'Project', Value: this.options.project }],
    ];
    const data: MetricDatum[] = [];
    for (const [name, s] of buffer)
      for (const Dimensions of dims)
        data.push({
          MetricName: name,
          Dimensions,
          Timestamp: at,
          Unit: UNITS[name] ?? 'None',
          StatisticValues: { SampleCount: s.count, Sum: s.sum, Minimum: s.min, Maximum: s.max },
        });
    this.counters.calls++;
    const call = this.options
      .publish(this.options.namespace, data)
      .then(
        () => {
          this.counters.published += data.length;
          this.counters.lastPublishedAt = at.toISOString();
        },
        (error: unknown) => {
          this.counters.failedCalls++;
          this.counters.droppedDatums += data.length;
          const throttled = this.options.isThrottling?.(error) === true;
          if (throttled) this.counters.throttled++;
          const reason = throttled ? 'throttled' : error instanceof Error ? error.message : String(error);
          this.counters.lastError = `${reason} (${at.toISOString()})`;
          this.options.log?.(messages.monitoring.dropped(component, data.length, reason));
        },
      )
      .finally(() => this.inflight.delete(call));
    this.inflight.add(call);
  }

  report(): Record<string, Json> {
    return {
      ...this.counters,
      namespace: this.options.namespace,
      pendingComponents: [...this.buffers.keys()].filter((c) => (this.buffers.get(c)?.size ?? 0) > 0),
    };
  }

  /** Waits for calls in flight. What is buffered and not yet due is dropped: the one-call-a-minute budget holds. */
  async close(): Promise<void> {
    await Promise.all([...this.inflight]);
  }
}

function add(buffer: Buffer, name: string, value: number): void {
  const s = buffer.get(name);
  if (!s) buffer.set(name, { count: 1, sum: value, min: value, max: value });
  else {
    s.count++;
    s.sum += value;
    s.min = Math.min(s.min, value);
    s.max = Math.max(s.max, value);
  }
}

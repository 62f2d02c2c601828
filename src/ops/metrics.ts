import { Counter, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one bridge instance, on its own registry (no global state, so tests and
 * several servers in one process do not collide).
 */
export interface Metrics {
  registry: Registry;
  readingsAccepted: Counter<never>;
  readingsRejected: Counter<'reason'>;
  ingestDuration: Histogram<'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  return {
    registry,
    readingsAccepted: new Counter({
      name: 'iomt_readings_accepted_total',
      help: 'Ingest items accepted and committed',
      registers: [registry],
    }),
    readingsRejected: new Counter({
      name: 'iomt_readings_rejected_total',
      help: 'Ingest items or requests rejected, by error code',
      labelNames: ['reason'],
      registers: [registry],
    }),
    ingestDuration: new Histogram({
      name: 'iomt_ingest_duration_seconds',
      help: 'Ingest request latency, from arrival to answer',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OutboxSummary } from '../store/port';

/**
 * Prometheus metrics of one bridge instance, on its own registry (no global state, so tests and
 * several servers in one process do not collide).
 */
export interface Metrics {
  registry: Registry;
  readingsAccepted: Counter<never>;
  readingsRejected: Counter<'reason'>;
  ingestDuration: Histogram<'outcome'>;
  /** Outbox entries delivered, retried or dead-lettered. */
  deliveries: Counter<'outcome'>;
  /** Duration of EHR exchanges by operation (transaction, patient, token). */
  ehrLatency: Histogram<'operation'>;
  /** Commit to delivery, per delivered entry. */
  deliveryLag: Histogram<never>;
  /** MQTT ingest messages by outcome (ack, refused, retry); their readings count in readingsAccepted/Rejected. */
  mqttMessages: Counter<'outcome'>;
  /** MQTT CONNECTs at the embedded broker by outcome (accepted, refused). */
  mqttConnects: Counter<'outcome'>;
  /** Where the MQTT connection gauge reads from at scrape time (set when a broker or client runs). */
  mqtt: { connections?: () => number };
  /** Where the outbox gauges read from at scrape time (set by the composition root when delivery runs). */
  outbox: { summary?: () => Promise<OutboxSummary>; now: () => number };
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const outbox: Metrics['outbox'] = { now: Date.now };
  const mqtt: Metrics['mqtt'] = {};
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
    ...deliveryMetrics(registry, outbox),
    ...mqttMetrics(registry, mqtt),
    outbox,
    mqtt,
  };
}

function mqttMetrics(registry: Registry, mqtt: Metrics['mqtt']): Pick<Metrics, 'mqttMessages' | 'mqttConnects'> {
  new Gauge({
    name: 'iomt_mqtt_connections', help: 'Open MQTT connections: devices at the embedded broker, or the bridge client at an external one', registers: [registry],
    collect() {
      const n = mqtt.connections?.();
      if (n !== undefined) this.set(n);
    },
  });
  return {
    mqttMessages: new Counter({
      name: 'iomt_mqtt_messages_total', help: 'MQTT ingest messages by outcome (ack: committed, replayed or refused for good; retry: not acknowledged)',
      labelNames: ['outcome'], registers: [registry],
    }),
    mqttConnects: new Counter({
      name: 'iomt_mqtt_connects_total', help: 'MQTT CONNECTs at the embedded broker by outcome (accepted, refused)', labelNames: ['outcome'], registers: [registry],
    }),
  };
}

function deliveryMetrics(registry: Registry, outbox: Metrics['outbox']): Pick<Metrics, 'deliveries' | 'ehrLatency' | 'deliveryLag'> {
  new Gauge({
    name: 'iomt_outbox_entries', help: 'Outbox entries by status (pending, in_flight, dead)', labelNames: ['status'], registers: [registry],
    async collect() {
      const s = await outbox.summary?.();
      if (s === undefined) return;
      this.set({ status: 'pending' }, s.pending);
      this.set({ status: 'in_flight' }, s.inFlight);
      this.set({ status: 'dead' }, s.dead);
    },
  });
  new Gauge({
    name: 'iomt_outbox_oldest_pending_age_seconds', help: 'Age of the oldest entry still waiting for delivery (0 when none)', registers: [registry],
    async collect() {
      const s = await outbox.summary?.();
      if (s === undefined) return;
      this.set(s.oldestPendingAt === undefined ? 0 : Math.max(0, (outbox.now() - Date.parse(s.oldestPendingAt)) / 1000));
    },
  });
  return {
    deliveries: new Counter({
      name: 'iomt_deliveries_total', help: 'Outbox entries by delivery outcome (delivered, retry, dead)', labelNames: ['outcome'], registers: [registry],
    }),
    ehrLatency: new Histogram({
      name: 'iomt_ehr_request_duration_seconds', help: 'EHR exchange latency by operation (transaction, patient, token)',
      labelNames: ['operation'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
    }),
    deliveryLag: new Histogram({
      name: 'iomt_delivery_lag_seconds', help: 'Time from the ingest commit to delivery at the EHR, per entry',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600], registers: [registry],
    }),
  };
}

/**
 * Entry of the store's writer thread: it owns a second connection to the database file and runs the hot
 * writes there — ingest commits, stand-alone audit entries, outbox claims and delivery outcomes — so their
 * `synchronous=FULL` fsyncs (milliseconds each once a commit holds a few hundred kB of WAL frames) block this
 * thread, not the event loop that answers HTTP. Writes arriving together share one group commit.
 * The schema is migrated by the opening thread before this one starts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { auditLog } from './audit-log';
import { ingestCommitter } from './commit-ingest';
import { groupCommitter } from './group-commit';
import { openDatabase } from './open-database';
import { outboxQueue } from './outbox-queue';
import { toWire, type WriterRequest, type WriterResponse } from './writer-protocol';

export interface WriterThreadData {
  file: string;
  jtiGraceSeconds: number;
}

function serve(data: WriterThreadData): void {
  const port = parentPort;
  if (port === null) throw new Error('writer-thread.js runs as a worker thread only');
  const db = openDatabase(data.file);
  const audit = auditLog(db);
  // The caller's clock: the time the ingest was handed over, so injected test clocks still hold.
  let nowMs = 0;
  const commit = ingestCommitter(db, audit, { now: () => new Date(nowMs), jtiGraceSeconds: data.jtiGraceSeconds });
  const queue = outboxQueue(db, audit);
  const group = groupCommitter(db);
  const appendAudit = db.transaction((event: Parameters<typeof audit.append>[0]) => void audit.append(event));

  const run = (request: WriterRequest): Promise<unknown> => {
    switch (request.op) {
      case 'commitIngest':
        return group(() => {
          nowMs = request.nowMs;
          return commit(request.commit);
        });
      case 'appendAudit':
        return group(() => appendAudit(request.event));
      // Claims and outcomes join the same group (nested, they run as SAVEPOINTs): one fsync for the burst.
      case 'claimOutbox':
        return group(() => queue.claim(request.options));
      case 'recordDelivery':
        return group(() => queue.record(request.outcome));
    }
  };

  const inFlight = new Set<Promise<void>>();
  port.on('message', (message: WriterRequest | 'close') => {
    if (message === 'close') {
      // Every write already handed over is answered before the connection closes.
      void Promise.allSettled([...inFlight]).then(() => {
        db.close();
        port.close();
      });
      return;
    }
    const answered = run(message).then(
      (value) => port.postMessage({ id: message.id, ok: true, value } satisfies WriterResponse),
      (error: unknown) => port.postMessage({ id: message.id, ok: false, error: toWire(error) } satisfies WriterResponse),
    ).finally(() => inFlight.delete(answered));
    inFlight.add(answered);
  });
}

serve(workerData as WriterThreadData);

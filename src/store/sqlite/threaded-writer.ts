import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AuditEvent } from 'fhir/r4';
import type { ClaimedEntry, ClaimOutboxOptions, DeliveryOutcome, IngestCommit, IngestResult } from '../port';
import type { WriterThreadData } from './writer-thread';
import { fromWire, type WriterCall, type WriterResponse } from './writer-protocol';

/** The hot writes of the store, run on the writer thread; each settles after that thread's COMMIT. */
export interface ThreadedWriter {
  commitIngest(commit: IngestCommit, nowMs: number): Promise<IngestResult>;
  appendAudit(event: AuditEvent): Promise<void>;
  claimOutbox(options: ClaimOutboxOptions): Promise<ClaimedEntry[]>;
  recordDelivery(outcome: DeliveryOutcome): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the writer thread on `file` (already migrated). If the thread dies, every pending and later call
 * rejects with the reason: the caller's request fails (and its data is not acknowledged), nothing hangs.
 */
export function startThreadedWriter(data: WriterThreadData): ThreadedWriter {
  const worker = new Worker(writerThreadFile(), { workerData: data });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;

  const fail = (error: Error): void => {
    failure ??= error;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  worker.on('message', (response: WriterResponse) => {
    const p = pending.get(response.id);
    if (p === undefined) return;
    pending.delete(response.id);
    if (response.ok) p.resolve(response.value);
    else p.reject(fromWire(response.error));
  });
  worker.on('error', (error) => fail(error));
  const exited = new Promise<void>((done) => worker.once('exit', (code) => {
    fail(new Error(`the store's writer thread exited (code ${code})`));
    done();
  }));

  const call = <R>(message: WriterCall): Promise<R> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<R>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...message, id });
    });
  };

  return {
    commitIngest: (commit, nowMs) => call({ op: 'commitIngest', commit, nowMs }),
    appendAudit: (event) => call({ op: 'appendAudit', event }),
    claimOutbox: (options) => call({ op: 'claimOutbox', options }),
    recordDelivery: (outcome) => call({ op: 'recordDelivery', outcome }),
    close: async () => {
      if (!failure) worker.postMessage('close');
      await exited;
    },
  };
}

/**
 * The compiled entry. Run from TypeScript sources (the test runner transpiles in-process and a worker cannot),
 * the build's copy in dist/ is used: `npm test` builds first.
 */
function writerThreadFile(): string {
  const beside = join(__dirname, 'writer-thread.js');
  return existsSync(beside) ? beside : resolve(__dirname, '../../../dist/store/sqlite/writer-thread.js');
}

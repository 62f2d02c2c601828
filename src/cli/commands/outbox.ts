import type { Command } from 'commander';
import { buildOutboxAuditEvent } from '../../delivery/build-outbox-audit-event';
import { isoParam } from '../../http/routes/admin-outbox';
import type { OutboxStatus, Store } from '../../store/port';
import { type CliIo, json } from '../io';
import { cliOperator as operator } from '../operator';
import { renderProgress, stderrSink, type ProgressSink } from '../progress';

export { renderProgress };

/** Entries replayed per transaction: ingest is never held behind one huge update. */
export const REPLAY_CHUNK = 500;

export function registerOutboxCommands(program: Command, io: CliIo, openStore: () => Promise<Store>, progress: ProgressSink = stderrSink): void {
  const outbox = program.command('outbox').description('delivery queue to the EHR: status, list, replay, purge');
  const withStore = async (fn: (store: Store) => Promise<void>): Promise<void> => {
    const store = await openStore();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };
  outbox.command('status').description('counts by status and the age of the oldest pending entry')
    .action(() => withStore(async (store) => io.out(json(await store.outboxSummary()))));
  outbox.command('list').description('entries in queue order (dead ones with their error and the EHR answer)')
    .option('--status <status>', 'pending, delivered or dead')
    .option('--after <seq>', 'entries after this seq', '0')
    .option('--limit <n>', 'at most this many', '100')
    .action((o: { status?: string; after: string; limit: string }) => withStore(async (store) => {
      if (o.status !== undefined && !['pending', 'delivered', 'dead'].includes(o.status)) throw new Error('--status must be pending, delivered or dead');
      io.out(json(await store.listOutbox({ status: o.status as OutboxStatus | undefined, afterSeq: Number(o.after), limit: Number(o.limit) })));
    }));
  outbox.command('replay').description('send again: dead entries (--dead), given seqs, or everything delivered and dead (safe: conditional create)')
    .option('--dead', 'only the dead letter')
    .argument('[seqs...]', 'only these entries')
    .action((seqs: string[], o: { dead?: boolean }) => withStore(async (store) => {
      const which = o.dead === true ? 'dead' : 'all';
      const targets = seqs.length > 0 ? seqs.map(seqOf) : await targetSeqs(store, which);
      const replayed = await replayInChunks(store, which, targets, progress);
      io.out(json({ replayed }));
    }));
  outbox.command('purge').description('delete delivered entries (or dead ones with --dead), optionally only those created before a date')
    .option('--dead', 'purge the dead letter instead (its readings stay in the store)')
    .option('--before <date>', 'only entries created before this date')
    .action((o: { dead?: boolean; before?: string }) => withStore(async (store) => {
      const status = o.dead === true ? 'dead' : 'delivered';
      const before = o.before === undefined ? undefined : isoParam(o.before, '--before');
      const audit = buildOutboxAuditEvent({ action: 'purge', parameters: { status, before }, actor: operator(), count: 0, recorded: new Date() });
      io.out(json({ purged: await store.purgeOutbox({ status, before, audit }) }));
    }));
}

function seqOf(text: string): number {
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new Error(`'${text}' is not an outbox seq`);
  return Number(text);
}

async function targetSeqs(store: Store, which: 'dead' | 'all'): Promise<number[]> {
  const statuses: OutboxStatus[] = which === 'dead' ? ['dead'] : ['dead', 'delivered'];
  const seqs: number[] = [];
  for (const status of statuses) {
    for (let after = 0; ;) {
      const page = await store.listOutbox({ status, afterSeq: after, limit: 5000 });
      if (page.length === 0) break;
      seqs.push(...page.map((r) => r.seq));
      after = page.at(-1)?.seq ?? after;
    }
  }
  return seqs.sort((a, b) => a - b);
}

async function replayInChunks(store: Store, which: 'dead' | 'all', seqs: number[], progress: ProgressSink): Promise<number> {
  let replayed = 0;
  for (let i = 0; i < seqs.length; i += REPLAY_CHUNK) {
    const chunk = seqs.slice(i, i + REPLAY_CHUNK);
    const audit = buildOutboxAuditEvent({ action: 'replay', parameters: { which, first: chunk[0], last: chunk.at(-1), entries: chunk.length }, actor: operator(), count: chunk.length, recorded: new Date() });
    replayed += await store.replayOutbox({ which, seqs: chunk, now: Date.now(), audit });
    if (progress.isTTY) progress.write(`\r${renderProgress(Math.min(i + REPLAY_CHUNK, seqs.length), seqs.length)}`);
  }
  if (progress.isTTY && seqs.length > 0) progress.write('\n');
  return replayed;
}

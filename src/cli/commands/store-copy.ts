import { resolve } from 'node:path';
import type { Command } from 'commander';
import { copySqliteToPostgres, type CopyProgress } from '../../store/copy';
import { type CliIo, json } from '../io';
import { cliOperator } from '../operator';
import { renderProgress, stderrSink, type ProgressSink } from '../progress';

/** Rows per INSERT; a table with more than this many rows gets a progress bar (on a terminal). */
export const COPY_BATCH = 500;

/**
 * `iomt-bridge store copy --to URL [--schema iomt] [--from FILE]`: the SQLite store (by default the configured
 * IOMT_SQLITE_FILE, so the configuration is read only when --from is not given) into an empty PostgreSQL
 * schema, all or nothing (src/store/copy). Prints the rows copied per table; the URL is shown without its
 * password, and no error repeats it.
 */
export function registerStoreCommands(program: Command, io: CliIo, sqliteFile: () => string, progress: ProgressSink = stderrSink): void {
  const store = program.command('store').description('the store: move a SQLite store to PostgreSQL');
  store.command('copy').description('copy a SQLite store (stopped bridge) into an empty PostgreSQL schema, in one transaction')
    .requiredOption('--to <url>', 'PostgreSQL URL, postgres://user:password@host:port/database')
    .option('--schema <name>', 'target schema (created and migrated when missing; must hold no data)', 'iomt')
    .option('--from <file>', 'SQLite store file (default: IOMT_SQLITE_FILE)')
    .action(async (o: { to: string; schema: string; from?: string }) => {
      const to = checkedUrl(o.to);
      const from = resolve(o.from ?? sqliteFile());
      const report = await copySqliteToPostgres({
        from, url: o.to, schema: o.schema, actor: cliOperator(), batchSize: COPY_BATCH, onProgress: progressBar(progress),
      });
      io.out(json({ from, to, schema: report.schema, copied: report.counts, auditHead: report.auditHead }));
    });
}

/** postgres:// or postgresql:// with a host; returned without password or query (what the output may show). */
function checkedUrl(value: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
    throw new Error('--to must be a postgres:// or postgresql:// URL (the value is not shown: it may hold a password)');
  }
  const user = url.username === '' ? '' : `${url.username}@`;
  return `${url.protocol}//${user}${url.host}${url.pathname}`;
}

/** A bar per table larger than one batch, redrawn in place on a terminal; nothing otherwise. */
function progressBar(sink: ProgressSink): (p: CopyProgress) => void {
  return (p) => {
    if (!sink.isTTY || p.total <= COPY_BATCH) return;
    sink.write(`\r${p.table.padEnd(17)} ${renderProgress(p.done, p.total)}`);
    if (p.done >= p.total) sink.write('\n');
  };
}

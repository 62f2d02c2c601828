import { verifyAuditChain } from '../../../src/audit';
import { openStore } from '../../../src/bridge';
import { commitOf, observation } from '../store-fixtures';
import { dropSchema, PG_URL, randomSchema } from '../postgres-fixtures';

// openStore is what `serve` and every CLI command call: IOMT_STORE picks the adapter.
describe('openStore with IOMT_STORE=postgres', () => {
  it('opens the PostgreSQL store in the configured schema', async () => {
    const schema = randomSchema();
    const store = await openStore({ store: 'postgres', sqliteFile: '/nonexistent/never-opened.db', postgres: { url: PG_URL, schema, poolSize: 2 } }, true);
    try {
      await store.commitIngest(commitOf([observation({ id: 'o1' })]));
      expect(verifyAuditChain(await store.listAudit())).toEqual({ ok: true });
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  it('stops naming IOMT_POSTGRES_URL when the database cannot be reached, without the password', async () => {
    const open = openStore({ store: 'postgres', sqliteFile: '', postgres: { url: 'postgres://iomt:hunter2@127.0.0.1:1/iomt', schema: 'iomt', poolSize: 1 } });
    await expect(open).rejects.toThrow(/^IOMT_POSTGRES_URL: the PostgreSQL store could not be opened: .*ECONNREFUSED/);
    await expect(open).rejects.not.toThrow(/hunter2/);
  });
});

import { userInfo } from 'node:os';
import { USER_ID_SYSTEM } from '../audit/audit-codes';

/** The agent of an operator's CLI action in the audit trail (outbox replay and purge, store copy): the OS user. */
export const cliOperator = (): { system: string; value: string } => ({ system: USER_ID_SYSTEM, value: `cli:${userInfo().username}` });

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const FILE = 'app-session.secret';

/**
 * The password that seals the app's session cookie (iron): read from `<dataDir>/keys/app-session.secret`,
 * or generated (48 random bytes, base64url) on first start with mode 0600 — like every key the bridge makes.
 * Several instances behind one name must share it (and a session cache).
 */
export async function loadOrCreateSessionSecret(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'keys');
  const file = join(dir, FILE);
  try {
    const secret = (await readFile(file, 'utf8')).trim();
    if (secret.length < 32) throw new Error(`${file}: the session secret must be at least 32 characters`);
    return secret;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  await rename(tmp, file);
  return secret;
}

import { randomUUID } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/** Algorithms SMART Backend Services asks servers to support for client assertions. See: https://hl7.org/fhir/smart-app-launch/backend-services.html */
export type ClientAssertionAlg = 'ES384' | 'RS384';

/** Our signing key for client assertions at the EHR. */
export interface ClientKey {
  alg: ClientAssertionAlg;
  /** RFC 7638 thumbprint of the public key, the `kid` of assertions and JWKS. */
  kid: string;
  privateKey: CryptoKey;
  /** Public JWK with `kid`, `alg`, `use: sig` — what `/.well-known/jwks.json` publishes. */
  publicJwk: JWK;
}

/**
 * Loads `<dataDir>/keys/ehr-client-<alg>.private.jwk.json`, or generates the key pair on first start and
 * writes it there (folder 0700, file 0600, published atomically with a hard link so two processes starting
 * together agree on one key). The private key is never logged.
 * @example const key = await loadOrCreateClientKey('./data', 'ES384');
 */
export async function loadOrCreateClientKey(dataDir: string, alg: ClientAssertionAlg): Promise<ClientKey> {
  const dir = join(dataDir, 'keys');
  const file = join(dir, `ehr-client-${alg.toLowerCase()}.private.jwk.json`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const existing = await readKeyFile(file, alg);
  if (existing !== undefined) return existing;
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS384' ? { modulusLength: 3072 } : {}) });
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(await exportJWK(privateKey))}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    await unlink(tmp);
  }
  return (await readKeyFile(file, alg)) as ClientKey;
}

async function readKeyFile(file: string, alg: ClientAssertionAlg): Promise<ClientKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  await chmod(file, 0o600);
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    throw new Error(`${file}: not a JSON JWK; delete it to generate a new EHR client key (and register the new JWKS)`);
  }
  const expectedKty = alg === 'ES384' ? 'EC' : 'RSA';
  if (jwk.kty !== expectedKty || typeof jwk.d !== 'string' || (alg === 'ES384' && jwk.crv !== 'P-384')) {
    throw new Error(`${file}: not a ${alg} private JWK`);
  }
  return keyOf(jwk, alg);
}

async function keyOf(jwk: JWK, alg: ClientAssertionAlg): Promise<ClientKey> {
  const publicOnly: JWK = alg === 'ES384' ? { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: 'RSA', n: jwk.n, e: jwk.e };
  const kid = await calculateJwkThumbprint(publicOnly, 'sha256');
  const privateKey = (await importJWK({ ...jwk, alg }, alg)) as CryptoKey;
  return { alg, kid, privateKey, publicJwk: { ...publicOnly, kid, alg, use: 'sig' } };
}

import { X509Certificate } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { exportJWK, generateKeyPair } from 'jose';
import type { Command } from 'commander';
import { certificateThumbprint } from '../../ingest/presented-certificate';
import type { NewDevice, Store } from '../../store/port';
import { type CliIo, json } from '../io';

/** Registry ids become FHIR Device ids, so they follow the FHIR `id` rules. See: https://hl7.org/fhir/R4/datatypes.html#id */
const DEVICE_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const PATIENT_REF = /^Patient\/[A-Za-z0-9\-.]{1,64}$/;

/** Only public EC P-256 keys are registered: devices sign ES256, and a private part must never be stored. */
export function checkPublicJwk(jwk: Record<string, unknown>): Record<string, unknown> {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new Error('the JWK must be an EC P-256 public key (kty "EC", crv "P-256", x, y)');
  }
  if ('d' in jwk) throw new Error('the JWK holds a private key ("d"): register the public key only');
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

/**
 * The SHA-256 thumbprint (base64url of the DER hash, JWK `x5t#S256`) of the device certificate in a PEM file: the
 * first certificate in it, which must be the device's own (not a CA). Names in it are not used: the thumbprint is.
 */
export function certificateFileThumbprint(file: string): string {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(readFileSync(file));
  } catch (e) {
    throw new Error(`--cert ${file} is not a PEM certificate (${(e as Error).message})`, { cause: e });
  }
  if (certificate.ca) throw new Error(`--cert ${file} is a CA certificate: register the device's own certificate`);
  return certificateThumbprint(certificate.raw);
}

export function registerDeviceCommands(program: Command, io: CliIo, openStore: () => Promise<Store>): void {
  const devices = program.command('devices').description('device registry: register, list and revoke devices');
  devices.command('add').description('register a device with its public ES256 key and/or its mTLS client certificate')
    .requiredOption('--id <id>', 'device id (FHIR id: letters, digits, "-" and ".", up to 64)')
    .option('--jwk <file>', 'file holding the device public JWK (EC P-256), for device-signed JWTs')
    .option('--cert <file>', 'PEM file holding the device client certificate (mTLS, IOMT_TLS_CLIENT_CA_FILE); its SHA-256 thumbprint is stored')
    .option('--patient <ref>', 'link the device to a patient, e.g. Patient/123')
    .action(async (options: { id: string; jwk?: string; cert?: string; patient?: string }) => {
      if (!DEVICE_ID.test(options.id)) throw new Error(`--id '${options.id}' is not a valid FHIR id`);
      if (options.patient !== undefined && !PATIENT_REF.test(options.patient)) throw new Error('--patient must look like Patient/ID');
      if (options.jwk === undefined && options.cert === undefined) throw new Error('give --jwk, --cert, or both: a device needs a credential');
      const device: NewDevice = { id: options.id, patient: options.patient };
      if (options.jwk !== undefined) device.publicJwk = checkPublicJwk(JSON.parse(readFileSync(options.jwk, 'utf8')) as Record<string, unknown>);
      if (options.cert !== undefined) device.certThumbprint = certificateFileThumbprint(options.cert);
      const store = await openStore();
      try {
        if (await store.getDevice(options.id)) throw new Error(`device '${options.id}' is already registered`);
        io.out(json(await store.addDevice(device)));
      } finally {
        await store.close();
      }
    });
  devices.command('list').description('list registered devices').action(async () => {
    const store = await openStore();
    try {
      io.out(json(await store.listDevices()));
    } finally {
      await store.close();
    }
  });
  devices.command('revoke').description('revoke a device: its tokens are refused from now on').argument('<id>')
    .action(async (id: string) => {
      const store = await openStore();
      try {
        const device = await store.revokeDevice(id);
        if (!device) throw new Error(`device '${id}' is not registered`);
        io.out(json(device));
      } finally {
        await store.close();
      }
    });
  devices.command('keygen').description('generate a device key pair (for trying the bridge; real devices keep their own)')
    .requiredOption('--out <prefix>', 'writes PREFIX.key.json (private, mode 0600) and PREFIX.pub.json')
    .action(async (options: { out: string }) => {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      const keyFile = `${options.out}.key.json`;
      // 'wx': never overwrite an existing key — a device's only private key would be lost.
      writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(privateKey)), alg: 'ES256' }), { mode: 0o600, flag: 'wx' });
      chmodSync(keyFile, 0o600); // the mode above is masked by the umask
      writeFileSync(`${options.out}.pub.json`, JSON.stringify(await exportJWK(publicKey)), { flag: 'wx' });
      io.out(`wrote ${keyFile} (private, 0600) and ${options.out}.pub.json (public)`);
    });
}

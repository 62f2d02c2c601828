import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { signDeviceToken } from '../../ingest';
import { type CliContext, inputMediaType, json, readInput } from '../io';
import { sendMqtt } from './send-mqtt';

/**
 * A reference device client: signs the exact body with the device key (ES256, `body_sha256`) and POSTs it.
 * For trying the bridge and for gateways written in shell; real devices do the same in firmware.
 */
export function registerSendCommand(program: Command, ctx: CliContext, publicUrl: () => string, topicPrefix: () => string): void {
  program.command('send').description('send a device payload to the bridge, signed as the device')
    .requiredOption('--device <id>', 'registered device id (the token issuer)')
    .requiredOption('--key <file>', 'device private JWK file')
    .requiredOption('--input <file>', 'payload file (JSON object or array; NDJSON when named *.ndjson or with --ndjson), or - for stdin')
    .option('--mapping <id>', 'post to /ingest/<id> instead of letting the mappings match')
    .option('--ndjson', 'send as application/x-ndjson')
    .option('--url <base>', 'bridge base URL (default IOMT_PUBLIC_URL); for https with a private CA, name it in NODE_EXTRA_CA_CERTS')
    .option('--mqtt <url>', 'publish over MQTT (QoS 1) to this broker, e.g. mqtt://127.0.0.1:1884, and print the outcome message')
    .action(async (options: { device: string; key: string; input: string; mapping?: string; ndjson?: boolean; url?: string; mqtt?: string }) => {
      const base = (options.url ?? publicUrl()).replace(/\/$/, '');
      const body = Buffer.from(readInput(ctx.io, options.input), 'utf8');
      const privateJwk = JSON.parse(readFileSync(options.key, 'utf8')) as Record<string, unknown>;
      if (options.mqtt !== undefined) {
        const outcome = await sendMqtt({ url: options.mqtt, publicUrl: base, topicPrefix: topicPrefix(), deviceId: options.device, privateJwk, body, mapping: options.mapping });
        (outcome.status < 400 ? ctx.io.out : ctx.io.err)(json(outcome));
        if (outcome.status >= 400) ctx.exitCode = 1;
        return;
      }
      const token = await signDeviceToken({ privateJwk, deviceId: options.device, audience: `${base}/ingest`, body });
      const url = options.mapping ? `${base}/ingest/${encodeURIComponent(options.mapping)}` : `${base}/ingest`;
      const response = await fetch(url, {
        method: 'POST', body,
        headers: { authorization: `Bearer ${token}`, 'content-type': inputMediaType(options.input, options.ndjson) },
      }).catch((error: unknown) => {
        // fetch says only "fetch failed"; the reason (ECONNREFUSED, SELF_SIGNED_CERT_IN_CHAIN…) is its cause.
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new Error(`${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, { cause: error });
      });
      const text = await response.text();
      (response.ok ? ctx.io.out : ctx.io.err)(`${response.status} ${text}`);
      if (!response.ok) ctx.exitCode = 1;
    });
}

import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import { parseListen } from '../config/host/listen.js';
import { JobctlError } from '../shared/errors.js';

export const DEFAULT_LISTEN = '127.0.0.1:8080';

export interface WebListen {
  host: string;
  port: number;
  /** Certificate and key (PEM), read at start; set for any address that is not loopback. */
  tls?: { cert: Buffer; key: Buffer; names: string[] };
}

/** 127.0.0.0/8, ::1 and `localhost`: only this machine can connect. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * Where `jobctl web` listens. Loopback by default; any other address only with TLS (the token
 * and the cookie must not cross a network in clear), else a clear refusal that says what to add.
 */
export function resolveListen(listen: string | undefined, tlsCert: string | undefined, tlsKey: string | undefined): WebListen {
  const text = listen ?? DEFAULT_LISTEN;
  const parsed = parseListen(text);
  if (!parsed) throw new JobctlError('BAD_REQUEST', `--listen: "${text}" is not host:port; write e.g. 127.0.0.1:8080 or [::1]:8080`);
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new JobctlError('BAD_REQUEST', `--tls-cert and --tls-key go together: give both (PEM files), or neither on a loopback address`);
  }
  if (tlsCert === undefined || tlsKey === undefined) {
    if (!isLoopback(parsed.host)) {
      throw new JobctlError('BAD_REQUEST', `--listen ${text} is not a loopback address: the page would carry its token and cookie in clear over the network; add --tls-cert FILE --tls-key FILE, or use an SSH tunnel to 127.0.0.1`);
    }
    return parsed;
  }
  const cert = readPem(tlsCert, '--tls-cert');
  return { ...parsed, tls: { cert, key: readPem(tlsKey, '--tls-key'), names: certNames(cert, tlsCert) } };
}

/**
 * The names a certificate is for (its subjectAltName DNS and IP entries): a browser sends one
 * of them as the Host, having checked the certificate against it.
 */
function certNames(pem: Buffer, file: string): string[] {
  let san: string | undefined;
  try {
    san = new X509Certificate(pem).subjectAltName;
  } catch (e) {
    throw new JobctlError('BAD_REQUEST', `--tls-cert ${file}: not a PEM certificate (${(e as Error).message})`);
  }
  return (san ?? '').split(/,\s*/).map((s) => /^(?:DNS|IP Address):(.+)$/.exec(s.trim())?.[1]).filter((n): n is string => n !== undefined).map((n) => n.toLowerCase());
}

function readPem(file: string, flag: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new JobctlError('BAD_REQUEST', `${flag} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestPki {
  /** PEM file of the private CA. */
  caFile: string;
  /** Key and certificate (for 127.0.0.1) signed by that CA, PEM text. */
  key: string;
  cert: string;
}

/** A private CA and a server certificate for IP 127.0.0.1 signed by it, made with openssl in `dir`. */
export function makePki(dir: string): TestPki {
  const at = (f: string) => path.join(dir, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=jobctl test CA']);
  run(['req', ...ec, '-keyout', at('srv.key'), '-out', at('srv.csr'), '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(at('ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', at('srv.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('srv.pem'), '-days', '2', '-extfile', at('ext')]);
  return { caFile: at('ca.pem'), key: fs.readFileSync(at('srv.key'), 'utf8'), cert: fs.readFileSync(at('srv.pem'), 'utf8') };
}

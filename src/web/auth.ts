import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface AuthOptions {
  /** The address the server listens on, as `host:port` (the Host header a page sends). */
  host: string;
  port: number;
  tls: boolean;
  /** With TLS: the names the certificate is for (`*.example.org` covers one label). */
  names?: readonly string[];
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
const WILDCARD = ['0.0.0.0', '::', '[::]'];

/**
 * Who may use the page, as Jupyter does it: a random token in the URL printed at start is
 * exchanged for a `SameSite=Strict; HttpOnly` cookie (the token then leaves the address bar).
 * Every request to the API needs the cookie (or `Authorization: Bearer TOKEN` from a script);
 * every state-changing request is a POST whose Origin must be this server's own. The Host
 * header must name this server, so a DNS-rebound page that reaches the port is refused.
 */
export class WebAuth {
  readonly token: string;
  readonly cookieName: string;
  private readonly hosts: Set<string>;
  private readonly anyHost: boolean;
  private readonly wildcards: string[];

  constructor(private readonly opts: AuthOptions) {
    this.token = opts.token ?? randomBytes(24).toString('base64url');
    // Cookies are per host, not per port: two servers on one machine must not log each other out.
    this.cookieName = `jobctl_web_${opts.port}`;
    const h = bracketed(opts.host);
    this.anyHost = WILDCARD.includes(h);
    const names = LOOPBACK_NAMES.includes(h) ? LOOPBACK_NAMES : [h];
    const certNames = (opts.names ?? []).map((n) => bracketed(n.toLowerCase()));
    this.hosts = new Set([...names, ...certNames.filter((n) => !n.startsWith('*.'))].map((n) => `${n}:${opts.port}`));
    this.wildcards = certNames.filter((n) => n.startsWith('*.')).map((n) => n.slice(1));
  }

  /** The scheme and authority pages use: `http://127.0.0.1:8080`. */
  get origin(): string {
    const h = bracketed(this.opts.host);
    // Every address: the certificate's first name (a browser checks it), else this machine.
    const named = this.opts.names?.find((n) => !n.startsWith('*.'));
    return `${this.opts.tls ? 'https' : 'http'}://${WILDCARD.includes(h) ? (named ? bracketed(named) : 'localhost') : h}:${this.opts.port}`;
  }

  /** The address to print: it carries the token once. */
  get startUrl(): string {
    return `${this.origin}/?token=${this.token}`;
  }

  /** The Host header names this server (any name when it listens on every address). */
  hostOk(req: IncomingMessage): boolean {
    const host = req.headers.host;
    if (typeof host !== 'string') return false;
    // A browser leaves the scheme's own port (443, 80) out of the Host.
    const bare = host.toLowerCase();
    const h = bare.endsWith(']') || !bare.includes(':') ? (this.opts.port === (this.opts.tls ? 443 : 80) ? `${bare}:${this.opts.port}` : bare) : bare;
    return this.anyHost || this.hosts.has(h) || this.wildcards.some((w) => {
      const name = h.slice(0, h.lastIndexOf(':'));
      return h.endsWith(`:${this.opts.port}`) && name.endsWith(w) && !name.slice(0, -w.length).includes('.') && name.length > w.length;
    });
  }

  /** The cookie, or a bearer token, carries the token. */
  authenticated(req: IncomingMessage): boolean {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== undefined) return this.matches(bearer);
    const cookie = cookieValue(req.headers.cookie, this.cookieName);
    return cookie !== undefined && this.matches(cookie);
  }

  /** A token given in the URL (`?token=`), when it is the right one. */
  tokenInUrl(url: URL): boolean {
    const t = url.searchParams.get('token');
    return t !== null && this.matches(t);
  }

  /**
   * A state-changing request comes from this server's own page: its Origin is this server.
   * A script without a browser sends no Origin and must then authenticate with the bearer token
   * (a cross-site page cannot set that header without a preflight this server never grants).
   */
  originOk(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return /^Bearer\s/i.test(req.headers.authorization ?? '');
    const host = req.headers.host;
    return typeof host === 'string' && origin === `${this.opts.tls ? 'https' : 'http'}://${host}`;
  }

  /** The Set-Cookie header that logs a browser in. */
  cookie(): string {
    return `${this.cookieName}=${this.token}; Path=/; HttpOnly; SameSite=Strict${this.opts.tls ? '; Secure' : ''}`;
  }

  private matches(candidate: string): boolean {
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

/** An IPv6 address as a URL writes it: `[::1]`. */
function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i !== -1 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

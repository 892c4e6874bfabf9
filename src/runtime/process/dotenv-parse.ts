import { createRequire } from 'node:module';

type DotenvParse = typeof import('dotenv').parse;
let parse: DotenvParse | undefined;

/**
 * dotenv's `parse`, the package loaded on the first `env_file:` read: dotenv requires
 * node:crypto when it loads (for its vault decryption), and a daemon whose tasks have no env
 * file would hold crypto and OpenSSL's pages for nothing (~1.5 MB resident, issue 28).
 */
export function parseDotenv(text: string): Record<string, string> {
  parse ??= (createRequire(import.meta.url)('dotenv') as typeof import('dotenv')).parse;
  return parse(text);
}

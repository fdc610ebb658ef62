import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (three levels above this file). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** RFC 4475 torture messages kept in this repository. */
export const RFC4475_DIR = join(REPO_ROOT, 'test/fixtures/sip/rfc4475');
/** Shared vendor SIPREC bodies, beside the checkout (not copied into the repo). */
export const SIPREC_DIR = join(REPO_ROOT, '../shared/fixtures/siprec-bodies');

/** True when the shared fixtures are present; warns visibly otherwise, and throws under CI=true. */
export function sharedFixturesAvailable(): boolean {
  if (existsSync(SIPREC_DIR)) return true;
  const msg = `shared SIPREC fixtures not found at ${SIPREC_DIR}: fixture tests are skipped`;
  if (process.env['CI'] === 'true') throw new Error(`${msg} (CI=true requires them)`);
  console.warn(msg);
  return false;
}

/** Reads one shared SIPREC fixture body as bytes. */
export function readSiprecFixture(name: string): Buffer {
  return readFileSync(join(SIPREC_DIR, name));
}

/** Lists the shared fixture files (.txt), or [] when absent. */
export function listSiprecFixtures(): string[] {
  return existsSync(SIPREC_DIR) ? readdirSync(SIPREC_DIR).filter((f) => f.endsWith('.txt')).sort() : [];
}

/** Joins lines with CRLF and ends the header section, for hand-written test messages. */
export function sipText(lines: string[], body = ''): Buffer {
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body, 'utf8');
}

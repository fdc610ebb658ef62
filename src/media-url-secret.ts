import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, type Config } from './config.js';

/**
 * The media URL signing secret: MEDIA_URL_SECRET when set; otherwise, in embedded
 * mode only, one generated on first boot and kept in DATA_DIR so URLs survive restarts.
 * Several processes on PostgreSQL must share one secret, so there it is required.
 */
export function resolveMediaUrlSecret(config: Config): string {
  if (config.mediaUrlSecret) return config.mediaUrlSecret;
  if (!config.databaseUrl.startsWith('sqlite:')) {
    throw new ConfigError('MEDIA_URL_SECRET is required with PostgreSQL: every process must sign media URLs with the same secret');
  }
  const file = path.join(config.dataDir, 'media-url-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(config.dataDir, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    // 'wx' fails if another process created it first; then read theirs.
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      return fs.readFileSync(file, 'utf8').trim();
    }
  }
}

/**
 * Credentials for a server with none configured: a write key and an admin token generated on
 * first start and kept in the data directory (mode 0600), so they survive restarts.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Credentials {
  writeKeys: string[];
  adminToken: string;
  /** Where generated credentials are stored, when they were generated. */
  file?: string;
  generated: boolean;
}

export function resolveCredentials(dataDir: string, configured: { writeKeys: string[]; adminToken: string | null }): Credentials {
  if (configured.writeKeys.length > 0 && configured.adminToken) return { writeKeys: [...configured.writeKeys], adminToken: configured.adminToken, generated: false };
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'credentials.json');
  let stored: { writeKey: string; adminToken: string } | undefined;
  let generated = false;
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8'));
  } else {
    stored = { writeKey: `wk_${randomBytes(16).toString('hex')}`, adminToken: `at_${randomBytes(24).toString('hex')}` };
    writeFileSync(file, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    generated = true;
  }
  return {
    writeKeys: configured.writeKeys.length > 0 ? [...configured.writeKeys] : [stored!.writeKey],
    adminToken: configured.adminToken ?? stored!.adminToken,
    file,
    generated,
  };
}

import { createHash } from 'node:crypto';
import type { SipTrunk } from '../../trunks/trunk.js';
import { sourceMatcher } from '../../trunks/trunk.js';
import type { TrunkRepository } from '../../trunks/trunk.repo.js';
import { createChallenge, getHeader, parseSipUri, verifyAuthorization, type RequestContext, type ResponseSpec, type SipRequest } from '../sip/index.js';

/** Outcome of checking an INVITE against the registered trunks. */
export type GateResult = { ok: true; trunk: SipTrunk } | { ok: false; response: ResponseSpec; reason: string };

function forbidden(reason: string): GateResult {
  return { ok: false, reason, response: { status: 403, reason: 'Forbidden' } };
}

/**
 * Decides whether an INVITE may start a recording: the Request-URI user part names a
 * trunk, the sender's address is in its allowed sources, and, when the trunk has
 * credentials, the SIP digest is valid. Anything else is 403 (401 only asks for digest
 * credentials), and nothing is created. Trunks are cached briefly: INVITE bursts from an
 * SBC do not each hit the database.
 */
export class TrunkGate {
  private readonly cache = new Map<string, { trunk: SipTrunk | null; matches: (a: string) => boolean; until: number }>();

  constructor(
    private readonly repo: TrunkRepository,
    private readonly realm: string,
    /** Key for stateless digest nonces. */
    private readonly nonceSecret: string,
    private readonly cacheMs = 5000,
  ) {}

  async check(req: SipRequest, ctx: RequestContext): Promise<GateResult> {
    let user: string | undefined;
    try {
      user = parseSipUri(req.uri).user;
    } catch {
      return forbidden('Request-URI is not a SIP URI');
    }
    if (!user) return forbidden('Request-URI has no user part');
    const entry = await this.lookup(user);
    if (!entry.trunk) return forbidden(`no trunk for user "${user}"`);
    if (!entry.matches(ctx.remote.address)) return forbidden(`source ${ctx.remote.address} not allowed for trunk ${entry.trunk.id}`);
    const digest = entry.trunk.digest;
    if (!digest) return { ok: true, trunk: entry.trunk };
    const header = getHeader(req, 'authorization') ?? getHeader(req, 'proxy-authorization');
    if (!header) return this.challenge(false, 'digest credentials required');
    const verdict = verifyAuthorization(header, { method: req.method, realm: this.realm, username: digest.username, password: digest.password, secret: this.nonceSecret });
    if (verdict.result === 'ok') return { ok: true, trunk: entry.trunk };
    if (verdict.result === 'stale') return this.challenge(true, 'stale nonce');
    return forbidden(`digest rejected: ${verdict.reason ?? 'invalid'}`);
  }

  /** Forgets cached trunks (after an API change in this process). */
  invalidate(): void {
    this.cache.clear();
  }

  private challenge(stale: boolean, reason: string): GateResult {
    const { headerValue } = createChallenge(this.realm, this.nonceSecret, { stale });
    return { ok: false, reason, response: { status: 401, reason: 'Unauthorized', headers: { 'WWW-Authenticate': headerValue } } };
  }

  private async lookup(user: string) {
    const now = Date.now();
    const cached = this.cache.get(user);
    if (cached && cached.until > now) return cached;
    const trunk = await this.repo.findByRequestUriUser(user);
    const entry = { trunk, matches: trunk ? sourceMatcher(trunk.allowedSources) : () => false, until: now + this.cacheMs };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(user, entry);
    return entry;
  }
}

/** Derives the digest nonce key from the service secret, so every process agrees on it. */
export function nonceSecretFrom(secret: string): string {
  return createHash('sha256').update(`sip-digest-nonce:${secret}`).digest('hex');
}

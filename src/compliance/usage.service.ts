import { DomainError } from '../errors.js';
import type { Pricing } from '../recordings/pricing.js';
import type { QuotaState, UsageFigures, UsageRepository } from './usage.js';

const empty = (): UsageFigures => ({ recordings: 0, minutes: 0, bytes: 0 });
const round2 = (n: number) => Math.round(n * 100) / 100;

/** Usage reports and per-account quotas (bytes, minutes) on new recordings. */
export class UsageService {
  private readonly cache = new Map<string, { state: QuotaState; until: number }>();

  constructor(
    private readonly repo: UsageRepository,
    private readonly pricing: Pricing,
    private readonly warnPercent: number,
    private readonly cacheMs = 10_000,
  ) {}

  /** Recordings, minutes and bytes per status, format, storage class and day over [from, to), with the price. */
  async report(accountId: string, from: Date, to: Date) {
    const rows = await this.repo.rows(accountId, from, to);
    const totals = { ...empty(), billedMinutes: 0 };
    const byStatus: Record<string, UsageFigures> = {};
    const byClass: Record<string, UsageFigures> = {};
    const byFormat = { wav: { bytes: 0 }, mp3: { bytes: 0 } };
    const daily = new Map<string, UsageFigures>();
    for (const r of rows) {
      const bytes = r.wavBytes + r.mp3Bytes;
      const minutes = r.durationMs / 60_000;
      for (const bucket of [totals, (byStatus[r.status] ??= empty()), (byClass[r.storageClass] ??= empty()), daily.get(r.day) ?? daily.set(r.day, empty()).get(r.day)!]) {
        bucket.recordings += r.recordings;
        bucket.minutes += minutes;
        bucket.bytes += bytes;
      }
      totals.billedMinutes += r.billedMinutes;
      byFormat.wav.bytes += r.wavBytes;
      byFormat.mp3.bytes += r.mp3Bytes;
    }
    const fix = (f: UsageFigures) => ({ recordings: f.recordings, minutes: round2(f.minutes), bytes: f.bytes });
    const quota = await this.state(accountId, true);
    return {
      start: from.toISOString(),
      end: to.toISOString(),
      totals: { ...fix(totals), price: this.pricing.priceOf(totals.billedMinutes * 60_000), price_unit: this.pricing.currency },
      by_status: Object.fromEntries(Object.entries(byStatus).map(([k, v]) => [k, fix(v)])),
      by_format: byFormat,
      by_storage_class: Object.fromEntries(Object.entries(byClass).map(([k, v]) => [k, fix(v)])),
      daily: [...daily].map(([date, f]) => ({ date, ...fix(f) })),
      quota: { bytes: quota.quotaBytes, minutes: quota.quotaMinutes, bytes_used: quota.bytesUsed, minutes_used: round2(quota.minutesUsed) },
    };
  }

  /** Current use against the quotas (cached a few seconds; `fresh` skips the cache). */
  async state(accountId: string, fresh = false): Promise<QuotaState> {
    const cached = this.cache.get(accountId);
    if (!fresh && cached && cached.until > Date.now()) return cached.state;
    const [totals, quotas] = await Promise.all([this.repo.totals(accountId), this.repo.quotas(accountId)]);
    const state = { bytesUsed: totals.bytes, minutesUsed: totals.minutes, quotaBytes: quotas.bytes, quotaMinutes: quotas.minutes };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(accountId, { state, until: Date.now() + this.cacheMs });
    return state;
  }

  /** Throws 403 `quota_exceeded` when the account has used up a quota. */
  async assertWithinQuota(accountId: string): Promise<void> {
    const s = await this.state(accountId, true);
    if (s.quotaBytes !== null && s.bytesUsed >= s.quotaBytes) {
      throw new DomainError('forbidden', 'quota_exceeded', `storage quota reached: ${s.bytesUsed} of ${s.quotaBytes} bytes used`, { quota: 'bytes' });
    }
    if (s.quotaMinutes !== null && s.minutesUsed >= s.quotaMinutes) {
      throw new DomainError('forbidden', 'quota_exceeded', `minutes quota reached: ${Math.round(s.minutesUsed)} of ${s.quotaMinutes} minutes used`, { quota: 'minutes' });
    }
  }

  /** A `Telefonie-Quota-Warning` value once use passes the warning threshold, else undefined. */
  async warning(accountId: string): Promise<string | undefined> {
    const s = await this.state(accountId);
    const parts: string[] = [];
    if (s.quotaBytes) {
      const pct = (s.bytesUsed / s.quotaBytes) * 100;
      if (pct >= this.warnPercent) parts.push(`bytes=${Math.min(100, Math.floor(pct))}%`);
    }
    if (s.quotaMinutes) {
      const pct = (s.minutesUsed / s.quotaMinutes) * 100;
      if (pct >= this.warnPercent) parts.push(`minutes=${Math.min(100, Math.floor(pct))}%`);
    }
    return parts.length ? parts.join(', ') : undefined;
  }

  /** Sets (or with null, removes) an account's quotas. */
  async setQuotas(accountId: string, quotas: { bytes: number | null; minutes: number | null }): Promise<void> {
    if (!(await this.repo.setQuotas(accountId, quotas))) throw new DomainError('not_found', 'account_not_found', `no account ${accountId}`);
    this.cache.delete(accountId);
  }
}

/** Recordings, minutes and bytes of one slice of usage. */
export interface UsageFigures {
  recordings: number;
  minutes: number;
  bytes: number;
}

/** Rows the usage report is built from: one per (day, status, storage class). */
export interface UsageRow {
  day: string;
  status: string;
  storageClass: string;
  recordings: number;
  durationMs: number;
  /** Minutes started, summed per recording (what the price is based on). */
  billedMinutes: number;
  wavBytes: number;
  mp3Bytes: number;
}

/** Current totals and limits of an account. */
export interface QuotaState {
  bytesUsed: number;
  minutesUsed: number;
  quotaBytes: number | null;
  quotaMinutes: number | null;
}

/** Read model of usage and the quota settings. */
export interface UsageRepository {
  rows(accountId: string, from: Date, to: Date): Promise<UsageRow[]>;
  totals(accountId: string): Promise<{ bytes: number; minutes: number }>;
  quotas(accountId: string): Promise<{ bytes: number | null; minutes: number | null }>;
  setQuotas(accountId: string, quotas: { bytes: number | null; minutes: number | null }): Promise<boolean>;
}

/** Longest wait between two attempts, in seconds. */
export const MAX_RETRY_DELAY_SECONDS = 3600;

/** A delivery keeps being retried until its event is this old, in ms; the attempt after that is its last. */
export const RETRY_HORIZON_MS = 24 * 3600 * 1000;

/** Up to this share of a delay is added at random, so retries to a receiver that comes back do not all land at once. */
export const RETRY_JITTER = 0.1;

/** Delay after the n-th failed attempt, in seconds, before jitter: min(3600, base·2^(n-1)). */
export function retryDelaySeconds(failedAttempts: number, baseSeconds: number): number {
  return Math.min(MAX_RETRY_DELAY_SECONDS, baseSeconds * 2 ** Math.max(0, failedAttempts - 1));
}

/**
 * When to try again after attempt number `attempts` failed at `failedAt`, or null when the
 * delivery has been retried for RETRY_HORIZON_MS since `createdAt` and now fails for good.
 * An attempt that starts before the horizon still earns a successor, so retries span at
 * least 24 hours. `random` returns [0, 1) (injected by tests).
 */
export function nextAttemptAt(createdAt: Date, failedAt: Date, attempts: number, baseSeconds: number, random: () => number = Math.random): Date | null {
  if (failedAt.getTime() - createdAt.getTime() >= RETRY_HORIZON_MS) return null;
  const delayMs = retryDelaySeconds(attempts, baseSeconds) * 1000 * (1 + RETRY_JITTER * random());
  return new Date(failedAt.getTime() + Math.round(delayMs));
}

/**
 * Storage price of a recording: PRICE_PER_MINUTE times the minutes started
 * (a 61-second recording bills 2 minutes, as telephony storage is usually billed).
 * Decimal strings are scaled to integers so no float rounding shows in prices.
 */
export class Pricing {
  private readonly scale: number;
  private readonly rateUnits: bigint;

  constructor(
    pricePerMinute: string,
    readonly currency: string,
  ) {
    const [whole, fraction = ''] = pricePerMinute.split('.');
    this.scale = fraction.length;
    this.rateUnits = BigInt(whole + fraction);
  }

  /** Price for a duration in ms, as a decimal string with the rate's precision. */
  priceOf(durationMs: number): string {
    const minutes = BigInt(Math.ceil(durationMs / 60_000));
    const units = (this.rateUnits * minutes).toString().padStart(this.scale + 1, '0');
    return this.scale === 0 ? units : `${units.slice(0, -this.scale)}.${units.slice(-this.scale)}`;
  }
}

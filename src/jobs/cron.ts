/**
 * A small 5-field cron (minute hour day-of-month month day-of-week, UTC) for the
 * embedded queue's schedules. Supports `*`, `N`, `A-B`, lists and `/step`.
 */
export interface CronSchedule {
  next(after: Date): Date;
}

const FIELD_RANGES: Array<[number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

function parseField(text: string, [min, max]: [number, number]): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [rangeText, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo = min;
    let hi = max;
    if (rangeText !== '*') {
      const [a, b] = rangeText.split('-');
      lo = Number(a);
      hi = b === undefined ? (stepText === undefined ? lo : max) : Number(b);
    }
    if (![lo, hi, step].every(Number.isInteger) || lo < min || hi > max || lo > hi || step < 1) {
      throw new Error(`invalid cron field "${text}"`);
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return values;
}

/** Parses a cron expression; throws on anything it does not understand. */
export function parseCron(expression: string): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`cron needs 5 fields, got "${expression}"`);
  const [minutes, hours, days, months, weekdays] = fields.map((f, i) => parseField(f, FIELD_RANGES[i]));
  return {
    next(after: Date): Date {
      const t = new Date(after.getTime());
      t.setUTCSeconds(0, 0);
      t.setUTCMinutes(t.getUTCMinutes() + 1);
      // A year of minutes bounds the search; any valid expression matches sooner.
      for (let i = 0; i < 366 * 24 * 60; i++) {
        if (
          minutes.has(t.getUTCMinutes()) &&
          hours.has(t.getUTCHours()) &&
          days.has(t.getUTCDate()) &&
          months.has(t.getUTCMonth() + 1) &&
          weekdays.has(t.getUTCDay())
        ) {
          return t;
        }
        t.setUTCMinutes(t.getUTCMinutes() + 1);
      }
      throw new Error(`cron "${expression}" never fires`);
    },
  };
}

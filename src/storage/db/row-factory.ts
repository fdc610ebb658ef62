/** Builds one row object from the array of its column values, in column order. */
export type RowFactory = ((values: unknown[]) => unknown) & { columns: readonly string[] };

/**
 * A function returning `{col0: values[0], col1: values[1], ...}` for these column names.
 * The drivers build each row object property by property (better-sqlite3: ~4 µs for a
 * 27-column recording row; pg: a dictionary-mode template copied per row); one object
 * literal of a fixed shape costs a fraction of that. Repeated names keep the last value,
 * as the drivers' own row objects do. Column names come from our own SQL.
 */
export function rowFactory(columns: readonly string[]): RowFactory {
  const body = `return {${columns.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ')}};`;
  return Object.assign(new Function('v', body) as (values: unknown[]) => unknown, { columns });
}

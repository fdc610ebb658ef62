/** True when the PostgreSQL + S3 suites can run; under CI=true their absence is an error, elsewhere a visible skip. */
export function scaleBackendsAvailable(suite: string): boolean {
  if (process.env.TEST_DATABASE_URL && process.env.TEST_S3_URL) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true but TEST_DATABASE_URL / TEST_S3_URL are not set: "${suite}" must run in CI`);
  console.warn(`[telefonie tests] TEST_DATABASE_URL / TEST_S3_URL not set: skipping "${suite}"`);
  return false;
}

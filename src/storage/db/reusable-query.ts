import type { CompiledQuery } from 'kysely';

/**
 * Compiles a Kysely query once and reuses its SQL with new arguments. Building and
 * compiling a query costs a few µs and a burst of short-lived objects per call, which
 * shows on the hottest read paths. Arguments are found in the compiled parameter list
 * by sentinel values, so the builder stays ordinary Kysely code.
 */
export function reusableQuery<A extends unknown[]>(arity: number, build: (...args: A) => { compile(): CompiledQuery }): (...args: A) => CompiledQuery {
  const sentinels = Array.from({ length: arity }, (_, i) => `\u0000reusable-arg-${i}\u0000`);
  const template = build(...(sentinels as unknown as A)).compile();
  const positions = template.parameters.map((p) => sentinels.indexOf(p as string));
  if (positions.filter((p) => p >= 0).length !== arity) throw new Error('every argument must appear exactly once as a query parameter');
  return (...args: A) => ({
    ...template,
    parameters: positions.map((argIndex, i) => (argIndex >= 0 ? args[argIndex] : template.parameters[i])),
  });
}

import { ConfigError, loadConfig } from '../config.js';
import { SchemaVersionError } from '../storage/db/migrator.js';
import { DomainError } from '../errors.js';
import { COMMANDS, usage } from './commands.js';

/** Entry of the `telefonie` command: same configuration as the server, one JSON line per result on stdout. */
async function main(argv: string[]): Promise<number> {
  const [group, action, ...args] = argv;
  const command = COMMANDS.find((c) => c.path[0] === group && (c.path.length === 1 || c.path[1] === action));
  if (!command) {
    process.stderr.write(usage());
    return group ? 64 : 0;
  }
  const rest = command.path.length === 1 ? [action, ...args].filter((a) => a !== undefined) : args;
  if (rest.length < command.args.length) {
    process.stderr.write(`usage: telefonie ${command.path.join(' ')} ${command.args.join(' ')}\n`);
    return 64;
  }
  try {
    return await command.run(loadConfig(), rest);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SchemaVersionError || err instanceof DomainError) {
      process.stderr.write(`telefonie: ${err.message}\n`);
      return err instanceof DomainError ? 1 : 78;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));

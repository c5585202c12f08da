#!/usr/bin/env node
/**
 * `ruralcredit`: the command line of the gateway. Exit codes: 0 success,
 * 1 refused by the gateway (its error code and message are printed) or
 * unreachable, 2 usage error, 3 a verification found the input invalid.
 */
import { GatewayError } from './errors';
import {
  commandHelp,
  EXIT,
  findCommand,
  invocation,
  mainHelp,
  parseCommandArgs,
  UsageError,
  VerificationFailed,
  type CommandContext,
} from './cli/commands';

/**
 * Runs one command line and returns its exit code (never throws).
 *
 * @example
 * const code = await runCli(['report', 'verify', '--offline', 'report.json'], context);
 */
export async function runCli(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const json = argv.includes('--json');
  const found = findCommand(argv);
  if (found === undefined) {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      ctx.stdout(mainHelp());
      return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
    }
    // `ruralcredit consent --help`: the commands under that word.
    const group = argv[0] ?? '';
    if (argv.includes('--help') || argv.includes('-h')) {
      ctx.stdout(mainHelp());
      return EXIT.OK;
    }
    return usageError(
      ctx,
      json,
      `unknown command "${argv.filter((a) => !a.startsWith('-')).join(' ') || group}"`,
      mainHelp(),
    );
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout(commandHelp(command));
    return EXIT.OK;
  }
  try {
    const { values, positionals } = parseCommandArgs(command, rest);
    await command.run(invocation(ctx, values, positionals));
    return EXIT.OK;
  } catch (err) {
    if (err instanceof UsageError) return usageError(ctx, json, err.message, commandHelp(command));
    if (err instanceof VerificationFailed) {
      if (!json) ctx.stderr(`ruralcredit: ${err.message}\n`);
      return EXIT.INVALID;
    }
    if (err instanceof GatewayError) {
      const body = {
        status: err.status,
        code: err.code,
        message: err.message,
        ...(err.details === undefined ? {} : { details: err.details }),
        ...(err.txId === undefined ? {} : { txId: err.txId }),
      };
      if (json) ctx.stdout(`${JSON.stringify({ error: body }, null, 2)}\n`);
      const status = err.status === 0 ? '' : ` (HTTP ${err.status})`;
      ctx.stderr(
        `ruralcredit: ${err.code}${status}: ${err.message}\n` +
          (err.txId === undefined ? '' : `  transaction: ${err.txId}\n`) +
          (err.details === undefined || json ? '' : `  details: ${JSON.stringify(err.details)}\n`) +
          (err.code === 'UNAUTHENTICATED' && command.name !== 'login'
            ? '  the saved token is missing or expired (tokens last at most 15 minutes): run `ruralcredit login`\n'
            : ''),
      );
      return EXIT.REFUSED;
    }
    if (ctx.signal.aborted) return EXIT.OK;
    ctx.stderr(`ruralcredit: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.REFUSED;
  }
}

function usageError(ctx: CommandContext, json: boolean, message: string, help: string): number {
  if (json) ctx.stdout(`${JSON.stringify({ error: { code: 'USAGE', message } }, null, 2)}\n`);
  ctx.stderr(`ruralcredit: ${message}\n\n${help}`);
  return EXIT.USAGE;
}

if (require.main === module) {
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  const write = (stream: NodeJS.WriteStream) => (text: string) => void stream.write(text);
  runCli(process.argv.slice(2), {
    env: process.env,
    stdout: write(process.stdout),
    stderr: write(process.stderr),
    stderrIsTty: process.stderr.isTTY === true,
    stdin: process.stdin,
    signal: interrupt.signal,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`ruralcredit: ${String(err)}\n`);
      process.exitCode = EXIT.REFUSED;
    },
  );
}

/** How an asynchronous command of this folder runs as a process. */

/**
 * Runs `command` and sets the process's exit code from its answer; a thrown error is printed
 * (with its stack) and ends the process with 1.
 */
export function runMain(command: () => Promise<number>): void {
  command().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

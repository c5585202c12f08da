/**
 * Long-running network processes: started detached with their output in a
 * log file, tracked by a PID file, stopped by PID. A PID file is trusted only
 * while /proc shows that PID running the command it was written for.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function pidFile(runDir, name) {
  return path.join(runDir, `${name}.pid`);
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

function isZombie(pid) {
  try {
    return /\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * The PID of a node started by {@link startProcess}, if it is still running.
 *
 * @returns {number | undefined}
 */
export function runningPid(runDir, name) {
  const file = pidFile(runDir, name);
  if (!existsSync(file)) return undefined;
  let record;
  try {
    record = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const args = cmdline(record.pid);
  if (!args || isZombie(record.pid)) return undefined;
  // The PID may have been reused by another program since: compare the command.
  return args.join(' ') === record.command ? record.pid : undefined;
}

/**
 * Starts `command` detached (it outlives this script), appending its output to
 * `<logDir>/<name>.log`.
 *
 * @returns {number} the PID
 */
export function startProcess({ name, command, args, env, cwd, runDir, logDir }) {
  mkdirSync(runDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const log = openSync(path.join(logDir, `${name}.log`), 'a');
  const child = spawn(command, args, {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  // What /proc/<pid>/cmdline will show (node resolves the command through PATH only for argv[0]).
  writeFileSync(
    pidFile(runDir, name),
    JSON.stringify({ pid: child.pid, command: [command, ...args].join(' ') }),
  );
  return child.pid;
}

/**
 * Stops a node by its PID: SIGTERM, then SIGKILL after `graceMs`.
 *
 * @returns {Promise<boolean>} whether a running process was stopped
 */
export async function stopProcess(runDir, name, { graceMs = 10_000, signal = 'SIGTERM' } = {}) {
  const pid = runningPid(runDir, name);
  rmSync(pidFile(runDir, name), { force: true });
  if (pid === undefined) return false;
  try {
    process.kill(pid, signal);
  } catch {
    return false;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!cmdline(pid) || isZombie(pid)) return true;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  // Wait until it is gone, so that a start right after finds its ports free.
  const killDeadline = Date.now() + 5_000;
  while (Date.now() < killDeadline && cmdline(pid) && !isZombie(pid)) await sleep(50);
  return true;
}

/** Whether something accepts TCP connections on host:port. */
export function portOpen(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** GET http://host:port/healthz: resolves to the status code, or 0 when unreachable. */
export function healthz(host, port, timeoutMs = 2_000) {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/healthz', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * Polls `check` until it returns a truthy value or `timeoutMs` passes.
 *
 * @throws Error naming `what` and the last problem when time runs out.
 */
export async function waitFor(what, check, { timeoutMs = 60_000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * The protocol package uses Node's global `Buffer`; the browser gets the
 * `buffer` package's. Imported first by main.tsx, before any protocol module runs.
 */
import { Buffer } from 'buffer';

(globalThis as { Buffer?: unknown }).Buffer ??= Buffer;

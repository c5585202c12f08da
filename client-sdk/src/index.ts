/**
 * `@ruralcredit/client-sdk`: the typed client of the rural credit gateway and
 * offline verifiers for what it returns.
 *
 * @example
 * import { createClient, verifyReportOffline } from '@ruralcredit/client-sdk';
 * const client = createClient({ url: 'http://127.0.0.1:8080', credentials: { username, password } });
 * const { report } = await client.reports.issue({ subjectId, consentId, datasets: ['HOMESTEAD'], purpose: 'LOAN_APPLICATION' });
 * console.log(verifyReportOffline(report).valid);
 */
export * from './browser';
export * from './files';
export * from './pdf-report';
// The Node client (reads `{ file }` sources) in place of the browser one of `./client`.
export { createClient } from './files';

import { expect } from 'chai';
import { createClient, type Alert } from '../src';

const alert = (blockNumber: number): Alert => ({
  name: 'ConsentRevoked',
  txId: `tx-${blockNumber}`,
  blockNumber,
  txIndex: 0,
  timestamp: '2026-01-01T00:00:00.000Z',
  payload: { grantId: `g-${blockNumber}`, grantee: 'BankAMSP' },
});

describe('alerts.events', () => {
  it('when resuming with lastEventId and the gateway sends a reset, then the ID goes in the query, onReset gets the resume ID and only alerts are yielded', async () => {
    const urls: string[] = [];
    const body = [
      'retry: 5000\n\n',
      `id: 9-0\nevent: reset\ndata: {"reason":"REPLAY_LIMIT","limit":1000}\n\n`,
      `id: 10-0\nevent: ConsentRevoked\ndata: ${JSON.stringify(alert(10))}\n\n`,
    ].join('');
    const fakeFetch = (input: string | URL | Request): Promise<Response> => {
      urls.push(String(input instanceof Request ? input.url : input));
      return Promise.resolve(new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
    };
    const client = createClient({ url: 'http://gateway.test', token: 't', fetch: fakeFetch });
    const resets: string[] = [];
    const received: Alert[] = [];
    for await (const a of client.alerts.events({ lastEventId: '3-1', onReset: (id) => resets.push(id) })) {
      received.push(a);
    }
    expect(urls).to.deep.equal(['http://gateway.test/api/v1/events?lastEventId=3-1']);
    expect(resets).to.deep.equal(['9-0']);
    expect(received).to.deep.equal([alert(10)]);
  });
});

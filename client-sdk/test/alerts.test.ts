import { expect } from 'chai';
import { createClient, GatewayError, type Alert } from '../src';

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

describe('alerts.events with reconnect', () => {
  const sse = (...alerts: Alert[]): Response =>
    new Response(
      [
        'retry: 5000\n\n',
        ...alerts.map(
          (a) => `id: ${a.blockNumber}-${a.txIndex}\nevent: ${a.name}\ndata: ${JSON.stringify(a)}\n\n`,
        ),
      ].join(''),
      { headers: { 'content-type': 'text/event-stream' } },
    );
  const refusal = (status: number, code: string): Response =>
    new Response(JSON.stringify({ error: { code, message: code } }), {
      status,
      headers: { 'content-type': 'application/json' },
    });

  it('when the stream ends, the gateway is unreachable, then answers 503, then the follower resumes after the last alert yielded, none missed or repeated', async () => {
    const urls: string[] = [];
    const answers: (() => Promise<Response>)[] = [
      () => Promise.resolve(sse(alert(5))),
      () => Promise.reject(new TypeError('fetch failed')),
      () => Promise.resolve(refusal(503, 'UNAVAILABLE')),
      () => Promise.resolve(sse(alert(6), alert(7))),
    ];
    const fakeFetch = (input: string | URL | Request): Promise<Response> => {
      urls.push(String(input instanceof Request ? input.url : input));
      const next = answers.shift();
      return next ? next() : Promise.reject(new Error('no more answers'));
    };
    const client = createClient({ url: 'http://gateway.test', token: 't', fetch: fakeFetch });
    const stop = new AbortController();
    const reconnects: [number, string | undefined][] = [];
    const received: number[] = [];
    for await (const a of client.alerts.events({
      signal: stop.signal,
      reconnect: true,
      retryMs: 1,
      onReconnect: (attempt, error) => reconnects.push([attempt, error?.code]),
    })) {
      received.push(a.blockNumber);
      if (a.blockNumber === 7) stop.abort();
    }
    expect(received).to.deep.equal([5, 6, 7]);
    expect(urls).to.deep.equal([
      'http://gateway.test/api/v1/events',
      'http://gateway.test/api/v1/events?lastEventId=5-0',
      'http://gateway.test/api/v1/events?lastEventId=5-0',
      'http://gateway.test/api/v1/events?lastEventId=5-0',
    ]);
    expect(reconnects).to.deep.equal([
      [1, undefined],
      [2, 'UNREACHABLE'],
      [3, 'UNAVAILABLE'],
    ]);
  });

  it('when the stream drops before its first alert, then the follower resumes from the position the stream started at', async () => {
    const urls: string[] = [];
    const answers: (() => Response)[] = [
      () =>
        new Response('retry: 5000\n\nid: 4-999999\n\n', { headers: { 'content-type': 'text/event-stream' } }),
      () => sse(alert(5)),
    ];
    const fakeFetch = (input: string | URL | Request): Promise<Response> => {
      urls.push(String(input instanceof Request ? input.url : input));
      const next = answers.shift();
      return next ? Promise.resolve(next()) : Promise.reject(new Error('no more answers'));
    };
    const client = createClient({ url: 'http://gateway.test', token: 't', fetch: fakeFetch });
    const stop = new AbortController();
    const received: number[] = [];
    for await (const a of client.alerts.events({ signal: stop.signal, reconnect: true, retryMs: 1 })) {
      received.push(a.blockNumber);
      stop.abort();
    }
    expect(received).to.deep.equal([5]);
    expect(urls).to.deep.equal([
      'http://gateway.test/api/v1/events',
      'http://gateway.test/api/v1/events?lastEventId=4-999999',
    ]);
  });

  it('when the gateway keeps no alert log (EVENT_REPLAY_UNAVAILABLE), then the follower throws instead of retrying forever', async () => {
    let calls = 0;
    const fakeFetch = (): Promise<Response> => {
      calls += 1;
      return Promise.resolve(refusal(503, 'EVENT_REPLAY_UNAVAILABLE'));
    };
    const client = createClient({ url: 'http://gateway.test', token: 't', fetch: fakeFetch });
    const error = await client.alerts
      .events({ reconnect: true, retryMs: 1, lastEventId: '3-0' })
      .next()
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect((error as GatewayError).code).to.equal('EVENT_REPLAY_UNAVAILABLE');
    expect(calls).to.equal(1);
  });

  it('when the gateway refuses the subscription with a 4xx other than 429, then the follower throws instead of retrying', async () => {
    let calls = 0;
    const fakeFetch = (): Promise<Response> => {
      calls += 1;
      return Promise.resolve(refusal(400, 'INVALID_LAST_EVENT_ID'));
    };
    const client = createClient({ url: 'http://gateway.test', token: 't', fetch: fakeFetch });
    const error = await client.alerts
      .events({ reconnect: true, retryMs: 1, lastEventId: 'x' })
      .next()
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(error).to.be.instanceOf(GatewayError);
    expect((error as GatewayError).code).to.equal('INVALID_LAST_EVENT_ID');
    expect(calls).to.equal(1);
  });
});

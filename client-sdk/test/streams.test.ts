import { expect } from 'chai';
import { blobUploadBody, RecordCounter, serverSentEvents, textLines } from '../src';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    await Promise.resolve();
    yield bytes(part);
  }
}

describe('streaming helpers', () => {
  it('when a JSON array is counted chunk by chunk, then only top-level elements count, not commas in strings or nested values', () => {
    const counter = new RecordCounter('json');
    const text = '[ {"a":"x,y]","b":[1,2,{"c":3}]}, {"d":"\\"},"}\n, 7 ,[1,2] ]';
    for (const c of text) counter.push(bytes(c));
    expect(counter.count).to.equal(4);
    const empty = new RecordCounter('json');
    empty.push(bytes(' [ ] '));
    expect(empty.count).to.equal(0);
  });

  it('when NDJSON is counted, then each non-blank line counts once, however it is split', () => {
    const counter = new RecordCounter('ndjson');
    for (const part of ['{"a":1}\n{"b"', ':2}\r\n\n  \n{"c":3}']) counter.push(bytes(part));
    expect(counter.count).to.equal(3);
  });

  it('when text arrives split mid-line and mid-character, then the lines come out whole', async () => {
    const lines: string[] = [];
    const snow = Buffer.from('雪\n', 'utf8');
    async function* split(): AsyncGenerator<Uint8Array> {
      yield bytes('one\ntw');
      await Promise.resolve();
      yield snow.subarray(0, 1);
      yield snow.subarray(1);
      yield bytes('last');
    }
    for await (const line of textLines(split())) lines.push(line);
    expect(lines).to.deep.equal(['one', 'tw雪', 'last']);
  });

  it('when an event stream holds comments, retry and multi-line data, then the events are parsed as the SSE spec says', async () => {
    const events = [];
    for await (const e of serverSentEvents(
      chunks(
        'retry: 3000\n\n: heartbeat\n\nid: 5-0\nevent: LienRegistered\nda',
        'ta: {"a":1}\n\ndata: x\ndata: y\n\n',
      ),
    )) {
      events.push(e);
    }
    expect(events).to.deep.equal([
      { id: '5-0', event: 'LienRegistered', data: '{"a":1}' },
      { id: '5-0', event: 'message', data: 'x\ny' },
    ]);
  });

  it('when a Blob holds a JSON array after a BOM and blanks, then it is sent as JSON and its records are counted', async () => {
    const body = await blobUploadBody(new Blob(['\uFEFF  \n[{"a":"x,y"},', '{"b":[1,2]},{"c":{}}]']));
    expect(body.contentType).to.equal('application/json');
    expect(body.records).to.equal(3);
  });

  it('when a Blob holds NDJSON, then it is sent as NDJSON with one record per non-blank line', async () => {
    const body = await blobUploadBody(new Blob(['{"a":1}\n\n{"a":2}\n{"a":3}']));
    expect(body.contentType).to.equal('application/x-ndjson');
    expect(body.records).to.equal(3);
  });
});

import { expect } from 'chai';
import { ReadWriteLock, SerialQueue } from '../src/concurrency';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ReadWriteLock and SerialQueue', () => {
  it('when readers hold the lock, then a writer waits for all of them and later readers wait behind the writer', async () => {
    const lock = new ReadWriteLock();
    const order: string[] = [];
    const releaseA = await lock.acquireShared();
    const releaseB = await lock.acquireShared();
    const writer = lock.acquireExclusive().then((release) => {
      order.push('writer');
      return release;
    });
    const lateReader = lock.acquireShared().then((release) => {
      order.push('late reader');
      return release;
    });
    await tick();
    expect(order, 'nobody gets in while the first readers hold the lock').to.deep.equal([]);
    releaseA();
    await tick();
    expect(order).to.deep.equal([]);
    releaseB();
    const releaseWriter = await writer;
    await tick();
    expect(order, 'the waiting writer goes before the reader that came after it').to.deep.equal(['writer']);
    releaseWriter();
    (await lateReader)();
    expect(order).to.deep.equal(['writer', 'late reader']);
  });

  it('when tasks are queued, then they run one at a time in order, and a failure does not stop the queue', async () => {
    const queue = new SerialQueue();
    const events: string[] = [];
    const slow = queue.run(async () => {
      events.push('slow start');
      await new Promise((resolve) => setTimeout(resolve, 20));
      events.push('slow end');
    });
    const failing = queue.run(() => Promise.reject(new Error('boom')));
    const fast = queue.run(() => {
      events.push('fast');
      return Promise.resolve('done');
    });
    await slow;
    const failure = await failing.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    expect(failure).to.equal('boom');
    expect(await fast).to.equal('done');
    expect(events).to.deep.equal(['slow start', 'slow end', 'fast']);
  });
});

import { expect } from 'chai';
import { JsonTooDeepError, MAX_JSON_DEPTH, jsonDepthExceeds, parseJsonBounded } from '../src/json-depth';

describe('bounded JSON parsing', () => {
  it('when arrays and objects nest exactly 64 deep, then the text parses', () => {
    const text = `${'[{"a":'.repeat(32)}1${'}]'.repeat(32)}`;
    expect(jsonDepthExceeds(text)).to.equal(false);
    expect(parseJsonBounded(text)).to.be.an('array');
  });

  it('when they nest 65 deep, then JsonTooDeepError is thrown before parsing', () => {
    const text = `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`;
    expect(() => parseJsonBounded(text)).to.throw(JsonTooDeepError, 'deeper than 64');
  });

  it('when brackets and escaped quotes sit inside strings, then they do not count', () => {
    const text = JSON.stringify({ s: `\\"${'['.repeat(500)}`, t: '{'.repeat(500) });
    expect(parseJsonBounded(text)).to.have.property('t');
  });

  it('when one million brackets arrive, then the answer comes without a stack overflow', () => {
    const text = '['.repeat(1_000_000);
    expect(() => parseJsonBounded(text)).to.throw(JsonTooDeepError);
  });
});

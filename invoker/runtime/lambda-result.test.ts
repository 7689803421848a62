import { describe, expect, it } from 'vitest';
import { eventResultOf, httpResultOf } from './lambda-result.js';
import { InvalidResult, ResponseTooLarge } from './outcome.js';

const text = (r: { body: Uint8Array }) => Buffer.from(r.body).toString('utf8');

describe('httpResultOf', () => {
  it('decodes a base64 body', () => {
    const r = httpResultOf({ statusCode: 200, body: Buffer.from([0, 255]).toString('base64'), isBase64Encoded: true }, 10);
    expect([...r.body]).toEqual([0, 255]);
  });

  it('treats an object without statusCode as a JSON body, even with body and headers keys', () => {
    const r = httpResultOf({ body: 'x', headers: { a: 'b' } }, 100);
    expect(r.status).toBe(200);
    expect(text(r)).toBe('{"body":"x","headers":{"a":"b"}}');
  });

  it('rejects a non-integer status, a bad header name and a non-array cookies', () => {
    expect(() => httpResultOf({ statusCode: 200.5 }, 10)).toThrow(InvalidResult);
    expect(() => httpResultOf({ statusCode: '200' }, 10)).toThrow(InvalidResult);
    expect(() => httpResultOf({ statusCode: 600 }, 10)).toThrow(InvalidResult);
    expect(() => httpResultOf({ statusCode: 200, headers: { 'bad name': 'x' } }, 10)).toThrow(/invalid header name/);
    expect(() => httpResultOf({ statusCode: 200, cookies: 'a=1' }, 10)).toThrow(/cookies must be an array/);
  });

  it('counts the decoded body against the limit', () => {
    expect(httpResultOf({ statusCode: 200, body: 'AAAA', isBase64Encoded: true }, 3).body.byteLength).toBe(3);
    expect(() => httpResultOf({ statusCode: 200, body: 'abcd' }, 3)).toThrow(ResponseTooLarge);
    expect(() => httpResultOf('abcd', 3)).toThrow(ResponseTooLarge);
  });
});

describe('eventResultOf', () => {
  it('answers with the value as JSON, a string quoted, undefined as null', () => {
    expect(text(eventResultOf('hi', 100))).toBe('"hi"');
    expect(text(eventResultOf(undefined, 100))).toBe('null');
    expect(text(eventResultOf({ statusCode: 404, body: 'x' }, 100))).toBe('{"statusCode":404,"body":"x"}');
    expect(() => eventResultOf(10n, 100)).toThrow(InvalidResult);
  });
});

import { describe, expect, it } from 'vitest';
import type { InvokeFrame } from '../../core/schemas/control.js';
import { buildHttpEvent, clfTime, isTextual, parseJsonEvent } from './lambda-event.js';

function invoke(http: Partial<InvokeFrame['http']>): InvokeFrame {
  return {
    t: 'invoke', id: 'inv-1', kind: 'http', start: 'warm', trigger: 'http', deadline: 0, account: 'acct',
    http: { method: 'GET', path: '/', query: '', headers: [], ...http },
  };
}

describe('buildHttpEvent', () => {
  it('keeps header and query names like __proto__ as plain keys', () => {
    const e = buildHttpEvent(invoke({ headers: [['__proto__', 'x']], query: '__proto__=1&constructor=2' }), Buffer.alloc(0), 'f', 0);
    expect(Object.getPrototypeOf(e.headers)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(e.headers, '__proto__')?.value).toBe('x');
    expect(e.queryStringParameters).toEqual(JSON.parse('{"__proto__":"1","constructor":"2"}'));
  });

  it('sends textual UTF-8 as text and everything else as base64', () => {
    const text = buildHttpEvent(invoke({ headers: [['content-type', 'application/json']] }), Buffer.from('{"é":1}'), 'f', 0);
    expect(text).toMatchObject({ body: '{"é":1}', isBase64Encoded: false });
    const untyped = buildHttpEvent(invoke({}), Buffer.from('plain'), 'f', 0);
    expect(untyped).toMatchObject({ body: Buffer.from('plain').toString('base64'), isBase64Encoded: true });
    const broken = buildHttpEvent(invoke({ headers: [['content-type', 'text/plain']] }), Buffer.from([0xc3]), 'f', 0);
    expect(broken).toMatchObject({ body: 'ww==', isBase64Encoded: true });
  });

  it('keeps a literal cookie value intact and drops empty pieces', () => {
    const e = buildHttpEvent(invoke({ headers: [['cookie', 'a=1;; b=x=y ;'], ['cookie', 'c=3']] }), Buffer.alloc(0), 'f', 0);
    expect(e.cookies).toEqual(['a=1', 'b=x=y', 'c=3']);
  });
});

describe('isTextual', () => {
  it.each([
    ['text/html; charset=utf-8', true], ['application/json', true], ['application/problem+json', true],
    ['image/svg+xml', true], ['application/x-www-form-urlencoded', true], ['APPLICATION/JSON', true],
    ['application/octet-stream', false], ['image/png', false], ['multipart/form-data; boundary=x', false], [undefined, false],
  ])('%s -> %s', (type, expected) => {
    expect(isTextual(type)).toBe(expected);
  });
});

describe('parseJsonEvent', () => {
  it('parses JSON and reads an empty body as {}', () => {
    expect(parseJsonEvent(Buffer.from('[1,{"a":null}]'))).toEqual([1, { a: null }]);
    expect(parseJsonEvent(Buffer.alloc(0))).toEqual({});
    expect(() => parseJsonEvent(Buffer.from('{'))).toThrow(SyntaxError);
  });
});

describe('clfTime', () => {
  it('formats like API Gateway', () => {
    expect(clfTime(Date.UTC(2020, 2, 9, 19, 3, 58))).toBe('09/Mar/2020:19:03:58 +0000');
  });
});

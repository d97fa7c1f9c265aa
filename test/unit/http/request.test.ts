import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { parseJsonBody, parseQueryString, rawInput } from '#http/request.ts';
import { createTestEvent } from '#test/support/events.ts';

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('request', () => {
  describe('parseQueryString', () => {
    it('returns an empty object for an empty query', () => {
      // Act & Assess
      expect(parseQueryString('')).toStrictEqual({});
    });

    it('keeps a single key as a string', () => {
      // Act & Assess
      expect(parseQueryString('name=fraud-detector')).toStrictEqual({
        name: 'fraud-detector',
      });
    });

    it('turns repeated keys into an array, in order', () => {
      // Act
      const params = parseQueryString(
        'order_by=name+ASC&max_results=5&order_by=last_updated_timestamp&order_by=x'
      );

      // Assess
      expect(params).toStrictEqual({
        order_by: ['name ASC', 'last_updated_timestamp', 'x'],
        max_results: '5',
      });
    });

    it('keeps commas inside values', () => {
      // Act & Assess
      expect(parseQueryString('filter=a%2Cb&filter=c')).toStrictEqual({
        filter: ['a,b', 'c'],
      });
    });

    it('reads + as a space and percent-decodes UTF-8', () => {
      // Act
      const params = parseQueryString(
        'name=my+mod%C3%A8le%20%F0%9F%98%80&plus=a%2Bb&amp=%26'
      );

      // Assess
      expect(params).toStrictEqual({
        name: 'my modèle 😀',
        plus: 'a+b',
        amp: '&',
      });
    });

    it('gives a key without a value the empty string', () => {
      // Act & Assess
      expect(parseQueryString('page_token=&flag')).toStrictEqual({
        page_token: '',
        flag: '',
      });
    });
  });

  describe('parseJsonBody', () => {
    it.each([
      ['absent', undefined],
      ['empty', ''],
      ['only whitespace', ' \n\t '],
    ])('returns {} for a body that is %s', (_label, body) => {
      // Act & Assess
      expect(parseJsonBody({ body, isBase64Encoded: false })).toStrictEqual({});
    });

    it('parses a JSON object', () => {
      // Act & Assess
      expect(
        parseJsonBody({
          body: '{"name":"m","tags":[{"key":"k","value":"v"}]}',
          isBase64Encoded: false,
        })
      ).toStrictEqual({ name: 'm', tags: [{ key: 'k', value: 'v' }] });
    });

    it('decodes a base64 body as UTF-8 first', () => {
      // Prepare
      const body = Buffer.from('{"name":"modèle 😀"}', 'utf8').toString(
        'base64'
      );

      // Act & Assess
      expect(parseJsonBody({ body, isBase64Encoded: true })).toStrictEqual({
        name: 'modèle 😀',
      });
    });

    it('refuses a body that is not JSON', () => {
      // Act
      const error = thrownBy(() =>
        parseJsonBody({ body: '{"name":', isBase64Encoded: false })
      );

      // Assess
      expect(error).toBeInstanceOf(InvalidParameterValueError);
      expect(error).toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: 'Malformed request body: it is not valid JSON.',
      });
    });

    it.each([
      ['an array', '[{"name":"m"}]'],
      ['a string', '"m"'],
      ['a number', '42'],
      ['null', 'null'],
      ['true', 'true'],
    ])('refuses JSON that is %s', (_label, body) => {
      // Act
      const error = thrownBy(() =>
        parseJsonBody({ body, isBase64Encoded: false })
      );

      // Assess
      expect(error).toBeInstanceOf(InvalidParameterValueError);
      expect(error).toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: 'Malformed request body: expected a JSON object.',
      });
    });
  });

  describe('rawInput', () => {
    it('adds path parameters to the input, over any same-named field', () => {
      // Prepare
      const event = {
        ...createTestEvent({
          method: 'PUT',
          path: '/api/2.0/permissions/registered-models/abc',
          body: '{"registered_model_id":"from-body","access_control_list":[]}',
        }),
        pathParameters: { registered_model_id: 'abc' },
      };

      // Act & Assess
      expect(rawInput(event)).toStrictEqual({
        registered_model_id: 'abc',
        access_control_list: [],
      });
    });

    it('takes a GET request from the query string and ignores its body', () => {
      // Prepare
      const event = createTestEvent({
        method: 'GET',
        rawQueryString: 'name=from-query',
        body: '{"name":"from-body"}',
      });

      // Act & Assess
      expect(rawInput(event)).toStrictEqual({ name: 'from-query' });
    });

    it('takes a POST request from the JSON body only', () => {
      // Prepare
      const event = createTestEvent({
        method: 'POST',
        rawQueryString: 'name=from-query&extra=1',
        body: '{"name":"from-body"}',
      });

      // Act & Assess
      expect(rawInput(event)).toStrictEqual({ name: 'from-body' });
    });

    it('merges query and body of a DELETE, the body winning', () => {
      // Prepare
      const event = createTestEvent({
        method: 'DELETE',
        rawQueryString: 'name=from-query&version=1',
        body: '{"name":"from-body","key":"k"}',
      });

      // Act & Assess
      expect(rawInput(event)).toStrictEqual({
        name: 'from-body',
        version: '1',
        key: 'k',
      });
    });

    it('takes a DELETE without a body from the query string', () => {
      // Prepare
      const event = createTestEvent({
        method: 'DELETE',
        rawQueryString: 'name=m',
      });

      // Act & Assess
      expect(rawInput(event)).toStrictEqual({ name: 'm' });
    });

    it('treats a lower-case method like its upper-case form', () => {
      // Prepare
      const event = createTestEvent({ method: 'get', rawQueryString: 'a=1' });

      // Act & Assess
      expect(rawInput(event)).toStrictEqual({ a: '1' });
    });

    it.each([
      ['no content type', {}],
      [
        'a form content type',
        { 'content-type': 'application/x-www-form-urlencoded' },
      ],
      ['a text content type', { 'content-type': 'text/plain' }],
    ])('refuses a POST body with %s', (_label, headers) => {
      // Prepare
      const event = createTestEvent({ method: 'POST', body: '{"name":"m"}' });
      delete event.headers['content-type'];
      Object.assign(event.headers, headers);

      // Act
      const error = thrownBy(() => rawInput(event));

      // Assess
      expect(error).toBeInstanceOf(InvalidParameterValueError);
      expect(error).toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: 'Bad Request. Content-Type must be application/json.',
      });
    });

    it('accepts a JSON content type with parameters, in any case', () => {
      // Prepare
      const event = createTestEvent({
        method: 'POST',
        body: '{"name":"m"}',
        headers: { 'content-type': 'Application/JSON; charset=utf-8' },
      });

      // Act & Assess
      expect(rawInput(event)).toStrictEqual({ name: 'm' });
    });

    it('accepts a POST without a body or content type as {}', () => {
      // Prepare
      const event = createTestEvent({ method: 'POST' });

      // Act & Assess
      expect(rawInput(event)).toStrictEqual({});
    });

    it('takes a PATCH without a body as {}, as the Databricks SDK sends it', () => {
      // Prepare
      const event = createTestEvent({ method: 'PATCH', rawQueryString: 'a=1' });

      // Act & Assess
      expect(rawInput(event)).toStrictEqual({});
    });
  });
});

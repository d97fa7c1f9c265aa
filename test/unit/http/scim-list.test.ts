import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import {
  groupQuery,
  listWindow,
  parseScimFilter,
  principalQuery,
} from '#http/scim-list.ts';

const USER_ATTRIBUTES = ['userName', 'displayName'];

function expectInvalid(act: () => unknown) {
  expect(act).toThrow(InvalidParameterValueError);
  try {
    act();
  } catch (error) {
    expect(error).toHaveProperty('code', 'INVALID_PARAMETER_VALUE');
  }
}

describe('SCIM list requests', () => {
  describe('parseScimFilter', () => {
    it.each([
      ['userName eq "a@b.c"', 'userName', 'eq', 'a@b.c'],
      ['displayName co "Smith"', 'displayName', 'co', 'Smith'],
      ['userName sw "ali"', 'userName', 'sw', 'ali'],
    ])('parses %s', (text, attribute, operator, value) => {
      // Act
      const filter = parseScimFilter(text, USER_ATTRIBUTES);

      // Assess
      expect(filter).toStrictEqual({ attribute, operator, value });
    });

    it('reads attribute and operator names in any case, keeping the canonical attribute', () => {
      // Act
      const filter = parseScimFilter('USERNAME EQ "x"', USER_ATTRIBUTES);

      // Assess
      expect(filter).toStrictEqual({
        attribute: 'userName',
        operator: 'eq',
        value: 'x',
      });
    });

    it('unescapes quotes and backslashes inside the value', () => {
      // Act
      const filter = parseScimFilter(
        String.raw`displayName eq "say \"hi\" \\ bye"`,
        USER_ATTRIBUTES
      );

      // Assess
      expect(filter?.value).toBe('say "hi" \\ bye');
    });

    it('reads an empty filter as no filter', () => {
      // Act
      const filter = parseScimFilter('  ', USER_ATTRIBUTES);

      // Assess
      expect(filter).toBeUndefined();
    });

    it.each([
      ['an attribute it does not serve', 'emails eq "a@b.c"'],
      ['another operator', 'userName gt "a"'],
      ['a compound filter', 'userName eq "a" and displayName eq "b"'],
      ['an unquoted value', 'userName eq alice'],
      ['a presence test', 'userName pr'],
    ])('refuses %s', (_case, text) => {
      // Act & Assess
      expectInvalid(() => parseScimFilter(text, USER_ATTRIBUTES));
    });
  });

  describe('listWindow', () => {
    it('defaults to the first 100', () => {
      // Act
      const window = listWindow({});

      // Assess
      expect(window).toStrictEqual({ startIndex: 1, count: 100 });
    });

    it('reads startIndex below 1 as 1, a negative count as 0, and caps count at 1000', () => {
      // Act
      const window = listWindow({ startIndex: 0, count: 5000 });
      const none = listWindow({ startIndex: -3, count: -1 });

      // Assess
      expect(window).toStrictEqual({ startIndex: 1, count: 1000 });
      expect(none).toStrictEqual({ startIndex: 1, count: 0 });
    });
  });

  describe('principalQuery / groupQuery', () => {
    it("maps each kind's name attribute to the directory's name", () => {
      // Act
      const users = principalQuery('user', {
        filter: 'USERNAME sw "Al"',
        startIndex: 3,
        count: 2,
      });
      const robots = principalQuery('service_principal', {
        filter: 'applicationId eq "6c2f"',
      });
      const byDisplayName = principalQuery('user', {
        filter: 'displayName co "x"',
      });

      // Assess
      expect(users).toStrictEqual({
        filter: { attribute: 'name', operator: 'sw', value: 'Al' },
        window: { startIndex: 3, count: 2 },
      });
      expect(robots.filter).toStrictEqual({
        attribute: 'name',
        operator: 'eq',
        value: '6c2f',
      });
      expect(byDisplayName.filter).toStrictEqual({
        attribute: 'displayName',
        operator: 'co',
        value: 'x',
      });
    });

    it("refuses the other kind's name attribute", () => {
      // Act & Assess
      expectInvalid(() =>
        principalQuery('service_principal', { filter: 'userName eq "a"' })
      );
      expectInvalid(() =>
        principalQuery('user', { filter: 'applicationId eq "a"' })
      );
    });

    it('reads a group listing, filtered on displayName only', () => {
      // Act
      const none = groupQuery({});
      const filtered = groupQuery({ filter: 'displayname eq "risk"' });

      // Assess
      expect(none).toStrictEqual({ window: { startIndex: 1, count: 100 } });
      expect(filtered.filter).toStrictEqual({
        attribute: 'displayName',
        operator: 'eq',
        value: 'risk',
      });
      expectInvalid(() => groupQuery({ filter: 'members eq "1"' }));
    });
  });
});

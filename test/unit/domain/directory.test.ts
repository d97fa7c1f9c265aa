import { describe, expect, it } from 'vitest';
import {
  filterMatches,
  interpretGroupPatch,
  interpretPrincipalPatch,
  listWindow,
  narrowingFor,
  newDirectoryId,
  pageOf,
  parseScimFilter,
  validateApplicationId,
  validateGroupName,
} from '#domain/directory.ts';
import { InvalidParameterValueError } from '#domain/errors.ts';

const USER_ATTRIBUTES = ['userName', 'displayName'];

function expectInvalid(act: () => unknown) {
  expect(act).toThrow(InvalidParameterValueError);
  try {
    act();
  } catch (error) {
    expect(error).toHaveProperty('code', 'INVALID_PARAMETER_VALUE');
  }
}

describe('directory', () => {
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

  describe('filterMatches', () => {
    it.each([
      ['eq', 'Alice@Example.com', 'alice@example.com', true],
      ['eq', 'alice', 'alice@example.com', false],
      ['co', 'EXAMPLE', 'alice@example.com', true],
      ['co', 'zzz', 'alice@example.com', false],
      ['sw', 'ALI', 'alice@example.com', true],
      ['sw', 'lice', 'alice@example.com', false],
    ] as const)(
      '%s "%s" against %s is %s, ignoring case',
      (operator, value, actual, expected) => {
        // Act
        const matches = filterMatches(
          { attribute: 'userName', operator, value },
          actual
        );

        // Assess
        expect(matches).toBe(expected);
      }
    );
  });

  describe('narrowingFor', () => {
    it('narrows eq and sw on the sort attribute', () => {
      // Act
      const eq = narrowingFor(
        { attribute: 'userName', operator: 'eq', value: 'a' },
        'userName'
      );
      const sw = narrowingFor(
        { attribute: 'userName', operator: 'sw', value: 'a' },
        'userName'
      );

      // Assess
      expect(eq).toStrictEqual({ operator: 'eq', value: 'a' });
      expect(sw).toStrictEqual({ operator: 'sw', value: 'a' });
    });

    it('does not narrow co, or a filter on another attribute', () => {
      // Act
      const co = narrowingFor(
        { attribute: 'userName', operator: 'co', value: 'a' },
        'userName'
      );
      const other = narrowingFor(
        { attribute: 'displayName', operator: 'eq', value: 'a' },
        'userName'
      );

      // Assess
      expect(co).toBeUndefined();
      expect(other).toBeUndefined();
    });
  });

  describe('listWindow / pageOf', () => {
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

    it('slices from the 1-based start and reports the total', () => {
      // Prepare
      const items = ['a', 'b', 'c', 'd', 'e'];

      // Act
      const page = pageOf(items, { startIndex: 2, count: 2 });
      const beyond = pageOf(items, { startIndex: 9, count: 2 });

      // Assess
      expect(page).toStrictEqual({
        totalResults: 5,
        startIndex: 2,
        items: ['b', 'c'],
      });
      expect(beyond.items).toStrictEqual([]);
      expect(beyond.totalResults).toBe(5);
    });
  });

  describe('interpretPrincipalPatch', () => {
    it('reads replace of active and displayName', () => {
      // Act
      const patch = interpretPrincipalPatch([
        { op: 'replace', path: 'active', value: false },
        { op: 'Replace', path: 'displayName', value: 'Alice A.' },
      ]);

      // Assess
      expect(patch).toStrictEqual({
        active: false,
        displayName: 'Alice A.',
        addGroupIds: [],
        removeGroupIds: [],
      });
    });

    it('accepts active as the strings Azure AD sends', () => {
      // Act
      const patch = interpretPrincipalPatch([
        { op: 'replace', path: 'active', value: 'False' },
      ]);

      // Assess
      expect(patch.active).toBe(false);
    });

    it('reads add and remove of groups, by value list and by selector', () => {
      // Act
      const patch = interpretPrincipalPatch([
        { op: 'add', path: 'groups', value: [{ value: '1' }, { value: '2' }] },
        { op: 'remove', path: 'groups', value: [{ value: '3' }] },
        { op: 'remove', path: 'groups[value eq "4"]' },
      ]);

      // Assess
      expect(patch.addGroupIds).toStrictEqual(['1', '2']);
      expect(patch.removeGroupIds).toStrictEqual(['3', '4']);
    });

    it('lets the last operation on a group win', () => {
      // Act
      const patch = interpretPrincipalPatch([
        { op: 'add', path: 'groups', value: [{ value: '1' }, { value: '2' }] },
        { op: 'remove', path: 'groups[value eq "1"]' },
        { op: 'remove', path: 'groups', value: [{ value: '2' }] },
        { op: 'add', path: 'groups', value: [{ value: '2' }] },
      ]);

      // Assess
      expect(patch.addGroupIds).toStrictEqual(['2']);
      expect(patch.removeGroupIds).toStrictEqual(['1']);
    });

    it('reads the path-less form whose value holds the attributes', () => {
      // Act
      const patch = interpretPrincipalPatch([
        {
          op: 'replace',
          value: { active: true, displayName: 'Bob' },
        },
        { op: 'add', value: { groups: [{ value: '9' }] } },
      ]);

      // Assess
      expect(patch).toStrictEqual({
        active: true,
        displayName: 'Bob',
        addGroupIds: ['9'],
        removeGroupIds: [],
      });
    });

    it.each([
      ['an empty operation list', []],
      ['an unknown operation', [{ op: 'move', path: 'active', value: true }]],
      [
        'a path it does not serve',
        [{ op: 'replace', path: 'userName', value: 'x' }],
      ],
      ['removing active', [{ op: 'remove', path: 'active' }]],
      [
        'replacing the groups',
        [{ op: 'replace', path: 'groups', value: [{ value: '1' }] }],
      ],
      [
        'adding through a selector',
        [{ op: 'add', path: 'groups[value eq "1"]' }],
      ],
      [
        'a non-boolean active',
        [{ op: 'replace', path: 'active', value: 'maybe' }],
      ],
      ['groups without ids', [{ op: 'add', path: 'groups', value: [{}] }]],
      ['a path-less remove', [{ op: 'remove', value: { active: true } }]],
    ])('refuses %s', (_case, operations) => {
      // Act & Assess
      expectInvalid(() => interpretPrincipalPatch(operations));
    });
  });

  describe('interpretGroupPatch', () => {
    it('reads add and remove of members and replace of displayName', () => {
      // Act
      const patch = interpretGroupPatch([
        { op: 'replace', path: 'displayName', value: 'ml-platform' },
        { op: 'add', path: 'members', value: [{ value: '11' }] },
        { op: 'remove', path: 'members[value eq "12"]' },
        { op: 'remove', path: 'members', value: [{ value: '13' }] },
      ]);

      // Assess
      expect(patch).toStrictEqual({
        displayName: 'ml-platform',
        addMemberIds: ['11'],
        removeMemberIds: ['12', '13'],
      });
    });

    it.each([
      [
        'a groups path',
        [{ op: 'add', path: 'groups', value: [{ value: '1' }] }],
      ],
      [
        'replacing the members',
        [{ op: 'replace', path: 'members', value: [{ value: '1' }] }],
      ],
      [
        'a non-string displayName',
        [{ op: 'replace', path: 'displayName', value: 3 }],
      ],
    ])('refuses %s', (_case, operations) => {
      // Act & Assess
      expectInvalid(() => interpretGroupPatch(operations));
    });
  });

  describe('validateGroupName', () => {
    it('trims the name', () => {
      // Act
      const name = validateGroupName('  data-science ');

      // Assess
      expect(name).toBe('data-science');
    });

    it.each([
      ['an empty name', ' '],
      ['a comma, which the authorizer context cannot carry', 'a,b'],
      ['the implicit users group', 'Users'],
      ['a too long name', 'x'.repeat(257)],
    ])('refuses %s', (_case, name) => {
      // Act & Assess
      expectInvalid(() => validateGroupName(name));
    });
  });

  describe('validateApplicationId', () => {
    it('lower-cases a UUID', () => {
      // Act
      const id = validateApplicationId('9A7E5C0B-1D2E-4F30-8A41-5B6C7D8E9F00');

      // Assess
      expect(id).toBe('9a7e5c0b-1d2e-4f30-8a41-5b6c7d8e9f00');
    });

    it('refuses anything but a UUID', () => {
      // Act & Assess
      expectInvalid(() => validateApplicationId('ci-robot'));
    });
  });

  describe('newDirectoryId', () => {
    it('makes 16-digit ids that JSON numbers carry exactly', () => {
      // Act
      const ids = Array.from({ length: 200 }, () => newDirectoryId());

      // Assess
      for (const id of ids) {
        expect(id).toMatch(/^[1-9]\d{15}$/);
        expect(Number.isSafeInteger(Number(id))).toBe(true);
      }
      expect(new Set(ids).size).toBe(ids.length);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import {
  interpretGroupPatch,
  interpretPrincipalPatch,
} from '#http/scim-patch.ts';

function expectInvalid(act: () => unknown) {
  expect(act).toThrow(InvalidParameterValueError);
  try {
    act();
  } catch (error) {
    expect(error).toHaveProperty('code', 'INVALID_PARAMETER_VALUE');
  }
}

describe('SCIM PATCH requests', () => {
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
});

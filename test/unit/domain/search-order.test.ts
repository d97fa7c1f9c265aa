import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import {
  compareBy,
  DEFAULT_MODEL_ORDER,
  DEFAULT_VERSION_ORDER,
  type OrderKey,
  parseModelOrderBy,
  parseVersionOrderBy,
  type Sortable,
} from '#domain/search.ts';

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectInvalid(act: () => unknown, message: string): void {
  const error = thrownBy(act);
  expect(error).toBeInstanceOf(InvalidParameterValueError);
  expect(error).toHaveProperty('code', 'INVALID_PARAMETER_VALUE');
  expect(error).toHaveProperty('message', message);
}

const NAME_ASC: OrderKey = { key: 'name', direction: 'ASC' };
const VERSION_DESC: OrderKey = { key: 'version_number', direction: 'DESC' };

describe('search', () => {
  describe('parseModelOrderBy', () => {
    it.each([[undefined], [[]]])('defaults to name ASC for %j', (orderBy) => {
      // Act
      const order = parseModelOrderBy(orderBy);

      // Assess
      expect(order).toStrictEqual([NAME_ASC]);
      expect(order).toStrictEqual(DEFAULT_MODEL_ORDER);
    });

    it.each<[string, OrderKey[]]>([
      ['name', [NAME_ASC]],
      ['name ASC', [NAME_ASC]],
      ['name DESC', [{ key: 'name', direction: 'DESC' }]],
      ['name desc', [{ key: 'name', direction: 'DESC' }]],
      ['name Asc', [NAME_ASC]],
      ['  name   DESC  ', [{ key: 'name', direction: 'DESC' }]],
      ['`name` DESC', [{ key: 'name', direction: 'DESC' }]],
      [
        'timestamp',
        [{ key: 'last_updated_timestamp', direction: 'ASC' }, NAME_ASC],
      ],
      [
        'timestamp DESC',
        [{ key: 'last_updated_timestamp', direction: 'DESC' }, NAME_ASC],
      ],
      [
        'last_updated_timestamp DESC',
        [{ key: 'last_updated_timestamp', direction: 'DESC' }, NAME_ASC],
      ],
    ])('parses %j', (entry, expected) => {
      // Act
      const order = parseModelOrderBy([entry]);

      // Assess
      expect(order).toStrictEqual(expected);
    });

    it('keeps the requested order of several keys', () => {
      // Act
      const order = parseModelOrderBy(['name DESC', 'timestamp ASC']);

      // Assess
      expect(order).toStrictEqual([
        { key: 'name', direction: 'DESC' },
        { key: 'last_updated_timestamp', direction: 'ASC' },
      ]);
    });

    it.each([
      'creation_timestamp',
      'creation_timestamp DESC',
      'version_number',
      'tags.team',
      'Name',
    ])('refuses the key in %j, naming the valid keys', (entry) => {
      // Act & Assess
      expectInvalid(
        () => parseModelOrderBy([entry]),
        `Invalid order by key '${entry.split(' ')[0]}' specified. Valid keys are ['name', 'timestamp', 'last_updated_timestamp']`
      );
    });

    it.each(['name UP', 'name DESCENDING', 'name ASC;'])(
      'refuses the direction in %j',
      (entry) => {
        // Act & Assess
        expectInvalid(
          () => parseModelOrderBy([entry]),
          `Invalid ordering key in order_by clause '${entry}'. The direction must be ASC or DESC, got '${entry.split(' ')[1]}'.`
        );
      }
    );

    it.each(['', '   ', 'name ASC extra', 'name ASC, timestamp DESC'])(
      'refuses the unparseable %j',
      (entry) => {
        // Act & Assess
        expectInvalid(
          () => parseModelOrderBy([entry]),
          `Invalid order_by clause '${entry}'. Could not be parsed.`
        );
      }
    );

    it.each([
      [['name ASC', 'name DESC']],
      [['timestamp', 'last_updated_timestamp DESC']],
      [['timestamp DESC', 'timestamp ASC']],
    ])('refuses the duplicated field in %j', (orderBy) => {
      // Act & Assess
      expectInvalid(
        () => parseModelOrderBy(orderBy),
        `\`order_by\` contains duplicate fields: ['${orderBy[0]}', '${orderBy[1]}']`
      );
    });
  });

  describe('parseVersionOrderBy', () => {
    it.each([[undefined], [[]]])(
      'defaults to last_updated DESC, name ASC, version DESC for %j',
      (orderBy) => {
        // Act
        const order = parseVersionOrderBy(orderBy);

        // Assess
        expect(order).toStrictEqual([
          { key: 'last_updated_timestamp', direction: 'DESC' },
          NAME_ASC,
          VERSION_DESC,
        ]);
        expect(order).toStrictEqual(DEFAULT_VERSION_ORDER);
      }
    );

    it.each<[string[], OrderKey[]]>([
      [['name'], [NAME_ASC, VERSION_DESC]],
      [['name DESC'], [{ key: 'name', direction: 'DESC' }, VERSION_DESC]],
      [
        ['version_number'],
        [{ key: 'version_number', direction: 'ASC' }, NAME_ASC],
      ],
      [['attribute.version_number DESC'], [VERSION_DESC, NAME_ASC]],
      [
        ['creation_timestamp ASC'],
        [
          { key: 'creation_timestamp', direction: 'ASC' },
          NAME_ASC,
          VERSION_DESC,
        ],
      ],
      [
        ['last_updated_timestamp'],
        [
          { key: 'last_updated_timestamp', direction: 'ASC' },
          NAME_ASC,
          VERSION_DESC,
        ],
      ],
      [
        ['version_number ASC', 'name DESC'],
        [
          { key: 'version_number', direction: 'ASC' },
          { key: 'name', direction: 'DESC' },
        ],
      ],
      [
        ['creation_timestamp DESC', 'last_updated_timestamp ASC'],
        [
          { key: 'creation_timestamp', direction: 'DESC' },
          { key: 'last_updated_timestamp', direction: 'ASC' },
          NAME_ASC,
          VERSION_DESC,
        ],
      ],
    ])('parses %j with tie-breakers', (orderBy, expected) => {
      // Act
      const order = parseVersionOrderBy(orderBy);

      // Assess
      expect(order).toStrictEqual(expected);
    });

    it.each(['timestamp', 'run_id', 'current_stage DESC', 'tags.k'])(
      'refuses the key in %j, naming the valid keys',
      (entry) => {
        // Act & Assess
        expectInvalid(
          () => parseVersionOrderBy([entry]),
          `Invalid order by key '${entry.split(' ')[0]}' specified. Valid keys are ['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp']`
        );
      }
    );

    it('refuses a duplicated field', () => {
      // Act & Assess
      expectInvalid(
        () => parseVersionOrderBy(['version_number', 'name', 'version_number']),
        "`order_by` contains duplicate fields: ['version_number', 'name', 'version_number']"
      );
    });

    it('refuses an unknown direction', () => {
      // Act & Assess
      expectInvalid(
        () => parseVersionOrderBy(['version_number LATEST']),
        "Invalid ordering key in order_by clause 'version_number LATEST'. The direction must be ASC or DESC, got 'LATEST'."
      );
    });

    it('returns a fresh list each time', () => {
      // Act
      const order = parseVersionOrderBy(undefined);
      order.pop();

      // Assess
      expect(parseVersionOrderBy(undefined)).toHaveLength(3);
      expect(DEFAULT_VERSION_ORDER).toHaveLength(3);
    });
  });

  describe('compareBy', () => {
    function named(name: string, extra: Partial<Sortable> = {}): Sortable {
      return { name, last_updated_timestamp: 0, ...extra };
    }

    it('orders names by UTF-8 bytes', () => {
      // Prepare
      const models = ['é', 'a', 'B', '😀', 'ﬀ', 'Z', 'aa', ''].map((n) =>
        named(n)
      );

      // Act
      const sorted = models.sort(compareBy([NAME_ASC])).map((m) => m.name);

      // Assess
      // U+FB00 (3 bytes, EF AC 80) before U+1F600 (4 bytes, F0 …), although
      // its UTF-16 code unit is the larger.
      expect(sorted).toStrictEqual(['', 'B', 'Z', 'a', 'aa', 'é', 'ﬀ', '😀']);
    });

    it('reverses names for DESC', () => {
      // Prepare
      const models = ['a', 'é', 'B'].map((n) => named(n));

      // Act
      const sorted = models
        .sort(compareBy([{ key: 'name', direction: 'DESC' }]))
        .map((m) => m.name);

      // Assess
      expect(sorted).toStrictEqual(['é', 'a', 'B']);
    });

    it('orders numbers numerically, not as text', () => {
      // Prepare
      const versions = [2, 10, 1].map((v) => named('m', { version_number: v }));

      // Act
      const asc = [...versions]
        .sort(compareBy([{ key: 'version_number', direction: 'ASC' }]))
        .map((v) => v.version_number);
      const desc = [...versions]
        .sort(compareBy([VERSION_DESC]))
        .map((v) => v.version_number);

      // Assess
      expect(asc).toStrictEqual([1, 2, 10]);
      expect(desc).toStrictEqual([10, 2, 1]);
    });

    it('breaks ties with the following keys', () => {
      // Prepare
      const models = [
        named('b', { last_updated_timestamp: 5 }),
        named('a', { last_updated_timestamp: 5 }),
        named('c', { last_updated_timestamp: 9 }),
      ];

      // Act
      const sorted = models
        .sort(compareBy(parseModelOrderBy(['timestamp DESC'])))
        .map((m) => m.name);

      // Assess
      expect(sorted).toStrictEqual(['c', 'a', 'b']);
    });

    it('sorts versions in the default order', () => {
      // Prepare
      const versions: Sortable[] = [
        { name: 'b', version_number: 1, last_updated_timestamp: 100 },
        { name: 'a', version_number: 1, last_updated_timestamp: 100 },
        { name: 'a', version_number: 2, last_updated_timestamp: 100 },
        { name: 'c', version_number: 1, last_updated_timestamp: 200 },
      ];

      // Act
      const sorted = versions
        .sort(compareBy(parseVersionOrderBy(undefined)))
        .map((v) => `${v.name}/${v.version_number}`);

      // Assess
      expect(sorted).toStrictEqual(['c/1', 'a/2', 'a/1', 'b/1']);
    });

    it('orders by creation timestamp when asked', () => {
      // Prepare
      const versions: Sortable[] = [
        {
          name: 'm',
          version_number: 1,
          creation_timestamp: 30,
          last_updated_timestamp: 1,
        },
        {
          name: 'm',
          version_number: 2,
          creation_timestamp: 10,
          last_updated_timestamp: 2,
        },
        {
          name: 'm',
          version_number: 3,
          creation_timestamp: 20,
          last_updated_timestamp: 3,
        },
      ];

      // Act
      const sorted = versions
        .sort(compareBy(parseVersionOrderBy(['creation_timestamp'])))
        .map((v) => v.version_number);

      // Assess
      expect(sorted).toStrictEqual([2, 3, 1]);
    });

    it.each<OrderKey['direction']>(['ASC', 'DESC'])(
      'puts a missing value last for %s',
      (direction) => {
        // Prepare
        const items = [
          named('x'),
          named('y', { version_number: 1 }),
          named('z', { version_number: 2 }),
        ];

        // Act
        const sorted = items
          .sort(compareBy([{ key: 'version_number', direction }]))
          .map((i) => i.name);

        // Assess
        expect(sorted.at(-1)).toBe('x');
      }
    );

    it('finds equal items equal', () => {
      // Act
      const compared = compareBy(DEFAULT_VERSION_ORDER)(
        named('a', { version_number: 1 }),
        named('a', { version_number: 1 })
      );

      // Assess
      expect(compared).toBe(0);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import { limits } from '#domain/limits.ts';
import {
  exactName,
  type FilterClause,
  type FilterSubject,
  likePrefix,
  matchesFilter,
  parseModelFilter,
  parseVersionFilter,
  runIds,
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

function model(name: string, tags: Record<string, string> = {}): FilterSubject {
  return { attributes: { name }, tags };
}

function version(
  attributes: Record<string, string | number>,
  tags: Record<string, string> = {}
): FilterSubject {
  return {
    attributes: {
      name: 'fraud-detector',
      version_number: 1,
      source_path: 's3://bucket/models/1',
      run_id: 'abc123',
      ...attributes,
    },
    tags,
  };
}

describe('search', () => {
  describe('parseModelFilter', () => {
    it.each([undefined, '', '   ', '\n\t'])(
      'returns no clauses for %j',
      (filter) => {
        // Act
        const clauses = parseModelFilter(filter);

        // Assess
        expect(clauses).toStrictEqual([]);
      }
    );

    it.each(['=', '!=', 'LIKE', 'ILIKE'] as const)(
      'parses name %s',
      (comparator) => {
        // Act
        const clauses = parseModelFilter(`name ${comparator} 'fraud%'`);

        // Assess
        expect(clauses).toStrictEqual([
          { kind: 'attribute', key: 'name', comparator, value: 'fraud%' },
        ]);
      }
    );

    it.each(['=', '!=', 'LIKE', 'ILIKE'] as const)(
      'parses a tag with %s',
      (comparator) => {
        // Act
        const clauses = parseModelFilter(`tags.team ${comparator} 'risk'`);

        // Assess
        expect(clauses).toStrictEqual([
          { kind: 'tag', key: 'team', comparator, value: 'risk' },
        ]);
      }
    );

    it.each([
      ['like', 'LIKE'],
      ['Like', 'LIKE'],
      ['ilike', 'ILIKE'],
    ])('accepts the comparator written %s', (written, comparator) => {
      // Act
      const clauses = parseModelFilter(`name ${written} 'a%'`);

      // Assess
      expect(clauses).toStrictEqual([
        { kind: 'attribute', key: 'name', comparator, value: 'a%' },
      ]);
    });

    it.each(['AND', 'and', 'And', 'aNd'])(
      'joins clauses with %s in any case',
      (and) => {
        // Act
        const clauses = parseModelFilter(
          `name = 'a' ${and} tags.team = 'risk' ${and} tag.env != 'dev'`
        );

        // Assess
        expect(clauses).toStrictEqual([
          { kind: 'attribute', key: 'name', comparator: '=', value: 'a' },
          { kind: 'tag', key: 'team', comparator: '=', value: 'risk' },
          { kind: 'tag', key: 'env', comparator: '!=', value: 'dev' },
        ]);
      }
    );

    it('needs no whitespace around comparators or before AND', () => {
      // Act
      const clauses = parseModelFilter("name='a'AND tags.k!='b'");

      // Assess
      expect(clauses).toStrictEqual([
        { kind: 'attribute', key: 'name', comparator: '=', value: 'a' },
        { kind: 'tag', key: 'k', comparator: '!=', value: 'b' },
      ]);
    });

    it.each([
      ['attribute.name', 'an attribute. prefix'],
      ['`name`', 'a backticked name'],
      ['"name"', 'a double-quoted name'],
    ])('reads %s (%s) as the name attribute', (identifier) => {
      // Act
      const clauses = parseModelFilter(`${identifier} = 'a'`);

      // Assess
      expect(clauses).toStrictEqual([
        { kind: 'attribute', key: 'name', comparator: '=', value: 'a' },
      ]);
    });

    it.each([
      ['tags.`key with.dots`', 'key with.dots'],
      ['tag.`key with.dots`', 'key with.dots'],
      ['tags."key with.dots"', 'key with.dots'],
      ['tags.mlflow.source.type', 'mlflow.source.type'],
      ['tags.`k-e-y`', 'k-e-y'],
      ['tags.1st', '1st'],
      ['tags.`é 😀`', 'é 😀'],
    ])('reads the tag identifier %s as key %j', (identifier, key) => {
      // Act
      const clauses = parseModelFilter(`${identifier} = 'v'`);

      // Assess
      expect(clauses).toStrictEqual([
        { kind: 'tag', key, comparator: '=', value: 'v' },
      ]);
    });

    it("parses the 3.x client's appended prompt clause", () => {
      // Act
      const clauses = parseModelFilter(
        "name LIKE 'fraud%' AND tag.`mlflow.prompt.is_prompt` != 'true'"
      );

      // Assess
      expect(clauses).toStrictEqual([
        { kind: 'attribute', key: 'name', comparator: 'LIKE', value: 'fraud%' },
        {
          kind: 'tag',
          key: 'mlflow.prompt.is_prompt',
          comparator: '!=',
          value: 'true',
        },
      ]);
    });

    it.each([
      ["'it''s'", "it's"],
      ["'it\\'s'", "it's"],
      ["'a\\\\'", 'a\\'],
      ["'C:\\models'", 'C:\\models'],
      ['"double"', 'double'],
      ['"say ""hi"""', 'say "hi"'],
      ["''", ''],
      ["'AND OR ( ) ,'", 'AND OR ( ) ,'],
    ])('decodes the value %s to %j', (written, value) => {
      // Act
      const clauses = parseModelFilter(`name = ${written}`);

      // Assess
      expect(clauses).toStrictEqual([
        { kind: 'attribute', key: 'name', comparator: '=', value },
      ]);
    });

    it.each([
      ["name = 'a' OR name = 'b'", 'Invalid clause(s) in filter string: OR'],
      ["name = 'a' or name = 'b'", 'Invalid clause(s) in filter string: or'],
      ["(name = 'a')", "Invalid clause(s) in filter string: (name = 'a')"],
      [
        "name = 'a' AND (tags.k = 'b' OR tags.k = 'c')",
        "Invalid clause(s) in filter string: (tags.k = 'b' OR tags.k = 'c')",
      ],
      ["NOT name = 'a'", 'Invalid clause(s) in filter string: NOT'],
      ["AND name = 'a'", 'Invalid clause(s) in filter string: AND'],
      [
        "name = 'a' AND AND name = 'b'",
        'Invalid clause(s) in filter string: AND',
      ],
      ["name = 'a' foo", 'Invalid clause(s) in filter string: foo'],
      ["name = 'a'; DROP", 'Invalid clause(s) in filter string: ;'],
    ])('refuses %s', (filter, message) => {
      // Act & Assess
      expectInvalid(() => parseModelFilter(filter), message);
    });

    it.each([
      ["name = 'abc", 'Unterminated quoted string starting at position 7.'],
      ["name = 'it\\'", 'Unterminated quoted string starting at position 7.'],
      ['tags.`abc = 1', 'Unterminated backticked name starting at position 5.'],
      ['name =', "Expected a value after 'name ='."],
      [
        "name = AND name = 'a'",
        "Expected a value after 'name =', found 'AND'.",
      ],
      ['name', "Expected a comparison operator after 'name'."],
      ["name 'a'", "Expected a comparison operator after 'name', found ''a''."],
      ["= 'a'", "Expected an identifier at position 0, found '='."],
      ["name = 'a' AND", 'Expected a clause after AND.'],
      ["tags. = 'a'", "Expected a key after 'tags.' at position 5."],
      ["name = 'a' AND   ", 'Expected a clause after AND.'],
    ])('refuses the unparseable %s', (filter, detail) => {
      // Act & Assess
      expectInvalid(
        () => parseModelFilter(filter),
        `Invalid filter '${filter}'. ${detail}`
      );
    });

    it.each(['run_id', 'source_path', 'version_number', 'creation_timestamp'])(
      'refuses the attribute %s, naming the valid key',
      (key) => {
        // Act & Assess
        expectInvalid(
          () => parseModelFilter(`${key} = '1'`),
          `Invalid attribute key '${key}' specified. Valid keys are ['name']`
        );
      }
    );

    it.each([
      [
        '`tags`.k',
        "Expected a comparison operator after '`tags`', found '.k'.",
      ],
    ])('refuses the quoted prefix in %s', (identifier, detail) => {
      // Act & Assess
      expectInvalid(
        () => parseModelFilter(`${identifier} = 'a'`),
        `Invalid filter '${identifier} = 'a''. ${detail}`
      );
    });

    it.each(['param.k', 'metric.k', 'TAGS.k', 'name.k'])(
      'refuses the entity type in %s',
      (identifier) => {
        // Act & Assess
        expectInvalid(
          () => parseModelFilter(`${identifier} = 'a'`),
          `Invalid entity type '${identifier.split('.')[0]}'. Valid entity types are ('attribute', 'tag', 'tags')`
        );
      }
    );

    it.each(['<', '<=', '>', '>=', 'IN', 'NOT IN', 'NOT LIKE', '<>', '=='])(
      'refuses name %s, naming the allowed comparators',
      (comparator) => {
        // Act & Assess
        expectInvalid(
          () => parseModelFilter(`name ${comparator} ('a')`),
          `Invalid comparator for attribute 'name': '${comparator}'. Valid comparators are ['=', '!=', 'LIKE', 'ILIKE']`
        );
      }
    );

    it.each(['<', '>=', 'IN', 'NOT IN', 'IS'])(
      'refuses a tag with %s, naming the allowed comparators',
      (comparator) => {
        // Act & Assess
        expectInvalid(
          () => parseModelFilter(`tags.team ${comparator} 'a'`),
          `Invalid comparator for tag 'team': '${comparator}'. Valid comparators are ['=', '!=', 'LIKE', 'ILIKE']`
        );
      }
    );

    it.each([
      [
        'name = 5',
        "Expected a quoted string value for attribute 'name' (e.g. 'my-value'). Got value 5",
      ],
      [
        "name = ('a')",
        "Only the 'run_id' attribute supports comparison with a list of quoted string values.",
      ],
      [
        'name = fraud',
        'Parameter value is either not quoted or unidentified quote types used for string value fraud. Use either single or double quotes.',
      ],
      [
        'tags.k = 5',
        "Expected a quoted string value for tag (e.g. 'my-value'). Got value 5",
      ],
      [
        "tags.k = ('a', 'b')",
        "Expected a quoted string value for tag (e.g. 'my-value'). Got value ('a', 'b')",
      ],
      [
        'tags.k = v',
        'Parameter value is either not quoted or unidentified quote types used for string value v. Use either single or double quotes.',
      ],
    ])('refuses the value in %s', (filter, message) => {
      // Act & Assess
      expectInvalid(() => parseModelFilter(filter), message);
    });

    it('accepts a filter of exactly the length limit', () => {
      // Prepare
      const filter = `name LIKE '${'a'.repeat(limits.searchFilterLength - 12)}'`;

      // Act
      const clauses = parseModelFilter(filter);

      // Assess
      expect(filter).toHaveLength(limits.searchFilterLength);
      expect(clauses).toHaveLength(1);
    });

    it.each([
      ['models', parseModelFilter],
      ['versions', parseVersionFilter],
    ])(
      'refuses a %s filter over the length limit before parsing it',
      (_label, parse) => {
        // Prepare: unparseable too, so the length is what is reported.
        const filter = `(${'a'.repeat(limits.searchFilterLength)}`;

        // Act & Assess
        expectInvalid(
          () => parse(filter),
          `filter had length ${limits.searchFilterLength + 1}, which exceeded length limit of ${limits.searchFilterLength}`
        );
      }
    );

    it('accepts as many clauses as the limit, and refuses one more', () => {
      // Prepare
      const clauses = (count: number) =>
        Array.from({ length: count }, (_, i) => `tags.k${i} = 'v'`).join(
          ' AND '
        );

      // Act
      const accepted = parseModelFilter(clauses(limits.searchFilterClauses));

      // Assess
      expect(accepted).toHaveLength(limits.searchFilterClauses);
      expectInvalid(
        () => parseModelFilter(clauses(limits.searchFilterClauses + 1)),
        `filter has more than ${limits.searchFilterClauses} clauses, the limit of clauses joined by AND.`
      );
    });
  });

  describe('parseVersionFilter', () => {
    it.each(['name', 'source_path', 'run_id'] as const)(
      'parses %s with =, !=, LIKE and ILIKE',
      (key) => {
        // Act
        const clauses = parseVersionFilter(
          `${key} = 'a' AND ${key} != 'b' AND ${key} LIKE 'c%' AND ${key} ILIKE 'd_'`
        );

        // Assess
        expect(clauses).toStrictEqual([
          { kind: 'attribute', key, comparator: '=', value: 'a' },
          { kind: 'attribute', key, comparator: '!=', value: 'b' },
          { kind: 'attribute', key, comparator: 'LIKE', value: 'c%' },
          { kind: 'attribute', key, comparator: 'ILIKE', value: 'd_' },
        ]);
      }
    );

    it.each(['=', '!=', '<', '<=', '>', '>='] as const)(
      'parses version_number %s against a bare and a quoted integer',
      (comparator) => {
        // Act
        const clauses = parseVersionFilter(
          `version_number ${comparator} 3 AND version_number ${comparator} '12'`
        );

        // Assess
        expect(clauses).toStrictEqual([
          { kind: 'attribute', key: 'version_number', comparator, value: 3 },
          { kind: 'attribute', key: 'version_number', comparator, value: 12 },
        ]);
      }
    );

    it.each([
      ["run_id IN ('a')", ['a']],
      ["run_id IN ('a','b')", ['a', 'b']],
      ["run_id in ( 'a' , 'b' , 'c' )", ['a', 'b', 'c']],
      ["run_id IN ('A1', 'it''s')", ['A1', "it's"]],
    ])('parses the list in %s', (filter, value) => {
      // Act
      const clauses = parseVersionFilter(filter);

      // Assess
      expect(clauses).toStrictEqual([
        { kind: 'attribute', key: 'run_id', comparator: 'IN', value },
      ]);
    });

    it.each(['=', '!=', 'LIKE', 'ILIKE'] as const)(
      'parses a tag with %s',
      (comparator) => {
        // Act
        const clauses = parseVersionFilter(`tags.\`a.b\` ${comparator} 'x'`);

        // Assess
        expect(clauses).toStrictEqual([
          { kind: 'tag', key: 'a.b', comparator, value: 'x' },
        ]);
      }
    );

    it('refuses an unknown attribute, naming the valid keys', () => {
      // Act & Assess
      expectInvalid(
        () => parseVersionFilter("current_stage = 'Production'"),
        "Invalid attribute key 'current_stage' specified. Valid keys are ['name', 'run_id', 'source_path', 'version_number']"
      );
    });

    it.each([
      [
        "version_number LIKE '1%'",
        "Invalid comparator for attribute 'version_number': 'LIKE'. Valid comparators are ['=', '!=', '<', '<=', '>', '>=']",
      ],
      [
        "version_number IN ('1')",
        "Invalid comparator for attribute 'version_number': 'IN'. Valid comparators are ['=', '!=', '<', '<=', '>', '>=']",
      ],
      [
        "source_path IN ('a')",
        "Invalid comparator for attribute 'source_path': 'IN'. Valid comparators are ['=', '!=', 'LIKE', 'ILIKE']",
      ],
      [
        "name > 'a'",
        "Invalid comparator for attribute 'name': '>'. Valid comparators are ['=', '!=', 'LIKE', 'ILIKE']",
      ],
      [
        "run_id NOT IN ('a')",
        "Invalid comparator for attribute 'run_id': 'NOT IN'. Valid comparators are ['=', '!=', 'LIKE', 'ILIKE', 'IN']",
      ],
      [
        "run_id < 'a'",
        "Invalid comparator for attribute 'run_id': '<'. Valid comparators are ['=', '!=', 'LIKE', 'ILIKE', 'IN']",
      ],
    ])('refuses %s, naming the allowed comparators', (filter, message) => {
      // Act & Assess
      expectInvalid(() => parseVersionFilter(filter), message);
    });

    it.each([
      ['version_number = 1.5', '1.5'],
      ["version_number = 'one'", "'one'"],
      ["version_number = '1.0'", "'1.0'"],
      ["version_number = ' 1'", "' 1'"],
      ["version_number = ''", "''"],
      ['version_number = 99999999999999999999', '99999999999999999999'],
    ])('refuses the version number in %s', (filter, shown) => {
      // Act & Assess
      expectInvalid(
        () => parseVersionFilter(filter),
        `Expected an integer value for attribute 'version_number'. Got value ${shown}`
      );
    });

    it.each([
      [
        "run_id IN 'a'",
        "The IN comparator takes a list of quoted string values, e.g. run_id IN ('a', 'b'). Got value 'a'",
      ],
      [
        "run_id = ('a', 'b')",
        "Comparator '=' takes a single quoted string value; use IN to compare with a list. Got value ('a', 'b')",
      ],
      [
        "source_path = ('a')",
        "Only the 'run_id' attribute supports comparison with a list of quoted string values.",
      ],
      [
        'run_id IN ()',
        'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
      ],
      [
        "run_id IN ('a' 'b')",
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
      ],
      [
        "run_id IN ('a',)",
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
      ],
      [
        "run_id IN ('a', 1)",
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
      ],
      [
        "run_id IN ('a'",
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
      ],
      [
        'run_id IN ("a")',
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
      ],
    ])('refuses the list in %s', (filter, message) => {
      // Act & Assess
      expectInvalid(() => parseVersionFilter(filter), message);
    });

    it("refuses the models' OR as well", () => {
      // Act & Assess
      expectInvalid(
        () => parseVersionFilter("run_id = 'a' OR run_id = 'b'"),
        'Invalid clause(s) in filter string: OR'
      );
    });
  });

  describe('matchesFilter', () => {
    it('matches everything with no clauses', () => {
      // Act & Assess
      expect(matchesFilter([], model('anything'))).toBe(true);
    });

    it.each([
      ["name = 'Fraud'", 'Fraud', true],
      ["name = 'Fraud'", 'fraud', false],
      ["name = 'Fraud'", 'Fraud2', false],
      ["name != 'Fraud'", 'fraud', true],
      ["name != 'Fraud'", 'Fraud', false],
    ])('%s on %j → %s (exact, case-sensitive)', (filter, name, expected) => {
      // Act
      const matches = matchesFilter(parseModelFilter(filter), model(name));

      // Assess
      expect(matches).toBe(expected);
    });

    it.each([
      ["name LIKE 'fraud%'", 'fraud', true],
      ["name LIKE 'fraud%'", 'fraud-detector', true],
      ["name LIKE 'fraud%'", 'Fraud-detector', false],
      ["name LIKE 'fraud%'", 'my-fraud', false],
      ["name LIKE '%fraud%'", 'my-fraud-model', true],
      ["name LIKE '%fraud'", 'my-fraud', true],
      ["name LIKE '%fraud'", 'my-fraud-x', false],
      ["name LIKE 'fraud'", 'fraud', true],
      ["name LIKE 'fraud'", 'fraudx', false],
      ["name LIKE 'model_'", 'model1', true],
      ["name LIKE 'model_'", 'model', false],
      ["name LIKE 'model_'", 'model12', false],
      ["name LIKE 'model_'", 'modelé', true],
      ["name LIKE 'model_'", 'model😀', true],
      ["name LIKE '_'", '', false],
      ["name LIKE '%'", '', true],
      ["name LIKE 'a%b_c'", 'a--b-c', true],
      ["name LIKE 'a%b_c'", 'abc', false],
      ["name LIKE 'line%'", 'line\nbreak', true],
    ])('%s on %j → %s (wildcards)', (filter, name, expected) => {
      // Act
      const matches = matchesFilter(parseModelFilter(filter), model(name));

      // Assess
      expect(matches).toBe(expected);
    });

    it.each([
      ["name LIKE 'a.c'", 'a.c', true],
      ["name LIKE 'a.c'", 'abc', false],
      ["name LIKE 'a*'", 'a*', true],
      ["name LIKE 'a*'", 'aaa', false],
      ["name LIKE 'f(x)'", 'f(x)', true],
      ["name LIKE 'f(x)'", 'fx', false],
      ["name LIKE '[ab]'", '[ab]', true],
      ["name LIKE '[ab]'", 'a', false],
      ["name LIKE 'a+b?'", 'a+b?', true],
      ["name LIKE '^a$|b'", '^a$|b', true],
      ["name LIKE 'a\\\\d'", 'a\\d', true],
      ["name LIKE 'a\\\\d'", 'a1', false],
      ["name LIKE 'a{2}'", 'a{2}', true],
      ["name LIKE 'a/b'", 'a/b', true],
      ["name LIKE 'a-b'", 'a-b', true],
    ])('%s on %j → %s (everything else literal)', (filter, name, expected) => {
      // Act
      const matches = matchesFilter(parseModelFilter(filter), model(name));

      // Assess
      expect(matches).toBe(expected);
    });

    it.each([
      ["name ILIKE 'fraud%'", 'FRAUD-detector', true],
      ["name ILIKE 'fraud%'", 'Fraud', true],
      ["name ILIKE 'fraud%'", 'my-fraud', false],
      ["name ILIKE 'ÉTÉ_'", 'été1', true],
      ["name ILIKE 'a.c'", 'A.C', true],
      ["name ILIKE 'a.c'", 'abc', false],
      ["name LIKE 'fraud%'", 'FRAUD-detector', false],
    ])('%s on %j → %s (ILIKE ignores case)', (filter, name, expected) => {
      // Act
      const matches = matchesFilter(parseModelFilter(filter), model(name));

      // Assess
      expect(matches).toBe(expected);
    });

    it.each([
      ["tags.team = 'risk'", { team: 'risk' }, true],
      ["tags.team = 'risk'", { team: 'Risk' }, false],
      ["tags.team = 'risk'", {}, false],
      ["tags.team != 'risk'", { team: 'ops' }, true],
      ["tags.team != 'risk'", { team: 'risk' }, false],
      ["tags.team != 'risk'", {}, true],
      ["tags.team LIKE 'ri%'", { team: 'risk' }, true],
      ["tags.team LIKE 'ri%'", { team: 'RISK' }, false],
      ["tags.team LIKE '%'", {}, false],
      ["tags.team ILIKE 'ri%'", { team: 'RISK' }, true],
      ["tags.team ILIKE '%'", {}, false],
      ["tags.team = ''", { team: '' }, true],
      ["tags.team = ''", {}, false],
      ["tags.`a.b` = 'x'", { 'a.b': 'x' }, true],
      ["tags.`a.b` = 'x'", { a: 'x' }, false],
    ])('%s on tags %j → %s', (filter, tags, expected) => {
      // Act
      const matches = matchesFilter(parseModelFilter(filter), model('m', tags));

      // Assess
      expect(matches).toBe(expected);
    });

    it.each([
      ['an ordinary model without the tag', true, {}],
      ['a model tagged false', true, { 'mlflow.prompt.is_prompt': 'false' }],
      ['a prompt', false, { 'mlflow.prompt.is_prompt': 'true' }],
    ])(
      "under the 3.x client's prompt clause, %s is kept: %s",
      (_l, kept, tags) => {
        // Prepare
        const clauses = parseModelFilter(
          "name LIKE '%' AND tag.`mlflow.prompt.is_prompt` != 'true'"
        );

        // Act
        const matches = matchesFilter(clauses, model('m', tags));

        // Assess
        expect(matches).toBe(kept);
      }
    );

    it('selects only prompts with the prompt tag = true', () => {
      // Prepare
      const clauses = parseModelFilter(
        "tags.`mlflow.prompt.is_prompt` = 'true'"
      );

      // Act
      const matches = [
        model('ordinary'),
        model('prompt', { 'mlflow.prompt.is_prompt': 'true' }),
      ].filter((subject) => matchesFilter(clauses, subject));

      // Assess
      expect(matches.map((m) => m.attributes.name)).toStrictEqual(['prompt']);
    });

    it('requires every clause to match', () => {
      // Prepare
      const clauses = parseModelFilter(
        "name LIKE 'fraud%' AND tags.team = 'risk'"
      );

      // Act & Assess
      expect(matchesFilter(clauses, model('fraud', { team: 'risk' }))).toBe(
        true
      );
      expect(matchesFilter(clauses, model('fraud', { team: 'ops' }))).toBe(
        false
      );
      expect(matchesFilter(clauses, model('churn', { team: 'risk' }))).toBe(
        false
      );
    });

    it.each([
      ['version_number = 3', 3, true],
      ['version_number = 3', 30, false],
      ["version_number = '3'", 3, true],
      ['version_number != 3', 4, true],
      ['version_number != 3', 3, false],
      ['version_number < 3', 2, true],
      ['version_number < 3', 3, false],
      ['version_number <= 3', 3, true],
      ['version_number <= 3', 4, false],
      ['version_number > 9', 10, true],
      ['version_number > 9', 9, false],
      ['version_number >= 10', 10, true],
      ['version_number >= 10', 9, false],
    ])('%s on version %i → %s (numeric)', (filter, number, expected) => {
      // Act
      const matches = matchesFilter(
        parseVersionFilter(filter),
        version({ version_number: number })
      );

      // Assess
      expect(matches).toBe(expected);
    });

    it('compares a version number given as a string numerically', () => {
      // Act
      const matches = matchesFilter(
        parseVersionFilter('version_number > 9'),
        version({ version_number: '10' })
      );

      // Assess
      expect(matches).toBe(true);
    });

    it.each([
      ["run_id IN ('abc123', 'def456')", 'abc123', true],
      ["run_id IN ('abc123', 'def456')", 'def456', true],
      ["run_id IN ('abc123', 'def456')", 'ABC123', false],
      ["run_id IN ('abc123', 'def456')", 'abc12', false],
      ["run_id = 'abc123'", 'abc123', true],
      ["run_id LIKE 'abc%'", 'abc123', true],
      ["run_id ILIKE 'ABC%'", 'abc123', true],
    ])('%s on run %j → %s', (filter, runId, expected) => {
      // Act
      const matches = matchesFilter(
        parseVersionFilter(filter),
        version({ run_id: runId })
      );

      // Assess
      expect(matches).toBe(expected);
    });

    it.each([
      ["source_path = 's3://bucket/models/1'", true],
      ["source_path LIKE 's3://bucket/%'", true],
      ["source_path LIKE 's3://other/%'", false],
      ["source_path != 's3://bucket/models/1'", false],
    ])('%s on the source path → %s', (filter, expected) => {
      // Act
      const matches = matchesFilter(parseVersionFilter(filter), version({}));

      // Assess
      expect(matches).toBe(expected);
    });

    it.each(["run_id = 'abc'", "run_id != 'abc'", "run_id IN ('abc')"])(
      'does not match %s on a version without a run id',
      (filter) => {
        // Prepare
        const subject: FilterSubject = {
          attributes: { name: 'm', version_number: 1 },
          tags: {},
        };

        // Act
        const matches = matchesFilter(parseVersionFilter(filter), subject);

        // Assess
        expect(matches).toBe(false);
      }
    );

    it('gives the same answer when a clause is evaluated again', () => {
      // Prepare
      const clauses = parseModelFilter("name LIKE 'a_c'");

      // Act
      const answers = ['abc', 'abd', 'axc', 'abc'].map((name) =>
        matchesFilter(clauses, model(name))
      );

      // Assess
      expect(answers).toStrictEqual([true, false, true, true]);
    });

    it.each([
      ["tags.k LIKE '%a%a%b'", false],
      [`tags.k LIKE '${'%a'.repeat(9)}%b'`, false],
      [`tags.k ILIKE '${'%A'.repeat(9)}%'`, true],
      [`tags.k LIKE '${'%a'.repeat(9)}%'`, true],
    ])(
      'answers %s over a 5,000-character value without backtracking',
      (filter, expected) => {
        // Prepare: a backtracking matcher takes minutes on these.
        const subject = model('m', { k: 'a'.repeat(5000) });

        // Act
        const matches = matchesFilter(parseModelFilter(filter), subject);

        // Assess
        expect(matches).toBe(expected);
      }
    );
  });

  describe('likePrefix', () => {
    it.each([
      ["name LIKE 'fraud%'", 'fraud'],
      ["name LIKE 'fraud-%-v_'", 'fraud-'],
      ["name LIKE 'ab_c%'", 'ab'],
      ["name LIKE 'exact'", 'exact'],
      ["name = 'fraud'", 'fraud'],
      ["name LIKE 'a%' AND name LIKE 'abc%'", 'abc'],
      ["name = 'abcd' AND name LIKE 'ab%'", 'abcd'],
      ["tags.k = 'x' AND name LIKE 'é%'", 'é'],
    ])('finds the prefix of %s → %j', (filter, prefix) => {
      // Act & Assess
      expect(likePrefix(parseModelFilter(filter))).toBe(prefix);
    });

    it.each([
      ["name LIKE '%fraud'"],
      ["name LIKE '_fraud'"],
      ["name ILIKE 'fraud%'"],
      ["name != 'fraud'"],
      ["name = ''"],
      ["tags.name LIKE 'fraud%'"],
      ["source_path LIKE 's3://%'"],
      [''],
    ])('gives none for %j', (filter) => {
      // Act & Assess
      expect(likePrefix(parseVersionFilter(filter))).toBeUndefined();
    });
  });

  describe('exactName', () => {
    it.each([
      ["name = 'fraud'", 'fraud'],
      ["tags.k = 'v' AND attribute.name = 'fraud'", 'fraud'],
      ["name = 'a' AND name = 'b'", 'a'],
      ["name = ''", ''],
    ])('finds the name in %s → %j', (filter, name) => {
      // Act & Assess
      expect(exactName(parseModelFilter(filter))).toBe(name);
    });

    it.each([
      "name LIKE 'fraud'",
      "name != 'fraud'",
      "name ILIKE 'fraud'",
      "tags.name = 'fraud'",
      '',
    ])('gives none for %j', (filter) => {
      // Act & Assess
      expect(exactName(parseModelFilter(filter))).toBeUndefined();
    });
  });

  describe('runIds', () => {
    it.each([
      ["run_id = 'a'", ['a']],
      ["run_id IN ('a', 'b', 'a')", ['a', 'b']],
      ["run_id IN ('a', 'b') AND run_id IN ('b', 'c')", ['b']],
      ["run_id IN ('a', 'b') AND run_id = 'b'", ['b']],
      ["run_id = 'a' AND run_id = 'b'", []],
      ["run_id = 'a' AND run_id LIKE 'x%'", ['a']],
    ])('collects %s → %j', (filter, ids) => {
      // Act & Assess
      expect(runIds(parseVersionFilter(filter))).toStrictEqual(ids);
    });

    it.each([
      "run_id != 'a'",
      "run_id LIKE 'a%'",
      "tags.run_id = 'a'",
      "name = 'a'",
      '',
    ])('gives none for %j', (filter) => {
      // Act & Assess
      expect(runIds(parseVersionFilter(filter))).toBeUndefined();
    });

    it('accepts hand-built clauses', () => {
      // Prepare
      const clauses: FilterClause[] = [
        { kind: 'attribute', key: 'run_id', comparator: 'IN', value: ['x'] },
      ];

      // Act & Assess
      expect(runIds(clauses)).toStrictEqual(['x']);
    });
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  keys,
  padVersion,
  requestKeys,
  sortableTimestamp,
} from '#adapters/dynamodb/keys.ts';
import { fromRepoRoot } from '#infra/paths.ts';

/**
 * The "Table design" table of docs/design-notes.md against `keys.ts`, which builds every
 * key: each row's PK, SK and index partitions are built here with sample
 * values and compared with the row (its `<placeholders>` replaced by the
 * same values), both ways, and every key builder must appear in a row.
 * The index sort keys are described in words and not compared.
 */

/** The value each placeholder of the table stands for in the keys built below. */
const SAMPLE = {
  '<model id>': 'model-1',
  '<id>': 'id-1',
  '<principal id>': 'principal-1',
  '<request id>': 'request-1',
  '<name>': 'Fraud Model',
  '<lower-cased name>': 'fraud model',
  '<kind>': 'service_principal',
  '<version>': padVersion(7),
  '<time>': sortableTimestamp(1_700_000_000_000),
  '<stage>': 'Production',
  '<creator>': 'alice@example.com',
  '<sha256>': 'ab12cd34',
  '<run_id>': 'run-1',
  '<status>': 'COMPLETED',
  '<webhook id>': 'webhook-1',
  '<signature>': 'v0=ab12cd34',
} as const;

const VERSION = 7;
const TIME = 1_700_000_000_000;

interface ItemKeys {
  readonly PK: string;
  readonly SK: string;
  /** The GSI1 partitions the item can be in. */
  readonly gsi1?: readonly string[];
  /** The GSI2 partitions the item can be in. */
  readonly gsi2?: readonly string[];
}

/** Every item kind of the table, by its name in the table, built by keys.ts. */
function itemKinds(
  k: typeof keys,
  r: typeof requestKeys
): Record<string, ItemKeys> {
  const s = SAMPLE;
  return {
    'registered model': {
      ...k.registeredModel(s['<model id>']),
      gsi1: [k.registeredModelsByName],
      gsi2: [k.registeredModelsByUpdate],
    },
    'model stage members': k.registeredModelStages(s['<model id>']),
    'model name (uniqueness)': k.registeredModelName(s['<name>']),
    'model version': {
      ...k.modelVersion(s['<model id>'], VERSION),
      gsi2: [k.versionsOfRun(s['<run_id>'])],
    },
    'activity (comments too)': {
      ...k.activity(s['<model id>'], VERSION, TIME, s['<id>']),
      gsi1: [r.commentById(s['<id>'])],
    },
    'transition request': {
      ...r.request(s['<model id>'], VERSION, s['<request id>']),
      gsi1: [r.byId(s['<request id>'])],
      gsi2: [r.pending],
    },
    'open-request lock': r.openLock(
      s['<model id>'],
      VERSION,
      s['<stage>'],
      s['<creator>']
    ),
    'request settings': r.settings(s['<model id>']),
    'registry policy (protected stages)': r.registryPolicy,
    'registration lease (while pending)': {
      ...k.pendingRegistration(s['<model id>'], VERSION),
      gsi2: [k.pendingRegistrations],
    },
    'root access control list': k.rootAcl,
    principal: {
      ...k.principal(s['<id>']),
      gsi1: [k.principalsOfKind(s['<kind>'])],
    },
    'principal name (uniqueness)': k.principalName(s['<kind>'], s['<name>']),
    group: { ...k.group(s['<id>']), gsi1: [k.groupsByName] },
    'group name (uniqueness)': k.groupName(s['<name>']),
    'token (by hash)': {
      ...k.token(s['<sha256>']),
      gsi1: [k.tokensOfPrincipal(s['<principal id>'])],
      gsi2: [k.allTokens],
    },
    'upload session': {
      ...k.uploadSession(s['<id>']),
      gsi2: [k.uploadsForCleanup(s['<status>'])],
    },
    'registry webhook': {
      ...k.webhook(s['<id>']),
      gsi1: [k.webhooksOfModel(s['<model id>']), k.registryWebhooks],
      gsi2: [k.allWebhooks],
    },
    'artifact purge (deleted version)': {
      ...k.artifactPurge(s['<model id>'], VERSION),
      gsi2: [k.artifactPurges],
    },
    'artifact purge (deleted model)': {
      ...k.artifactPurge(s['<model id>'], undefined),
      gsi2: [k.artifactPurges],
    },
    'OAuth secret (by hash)': {
      ...k.oauthSecret(s['<sha256>']),
      gsi1: [k.oauthSecretsOfPrincipal(s['<principal id>'])],
    },
    'IP access lists (with their enforcement)': k.ipAccessSettings,
    'registry event (outbox)': {
      ...k.event(s['<id>']),
      gsi1: [k.eventsOf(s['<model id>'], VERSION), k.eventsOf(s['<model id>'])],
      gsi2: [k.pendingEvents],
    },
    'webhook delivery': {
      ...k.delivery(s['<webhook id>'], s['<id>']),
      gsi1: [k.deliveriesOf(s['<webhook id>'])],
    },
    'e-mail (sent, links used)': k.email(s['<id>']),
    'Slack channel of a model': k.slackModelChannel(s['<model id>']),
    'Slack channel of the registry': k.slackRegistryChannel,
    'Slack message of a request': k.slackMessage(
      s['<model id>'],
      s['<request id>']
    ),
    'Slack callback signature (replay guard)': k.slackSignature(
      s['<signature>']
    ),
  };
}

/** Members of keys.ts that build no item or index key of their own. */
const NOT_ITEM_KEYS: Readonly<Record<string, string>> = {};

/** `target` recording the name of every member read from it. */
function recorded<T extends object>(
  name: string,
  target: T,
  used: Set<string>
): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      if (typeof property === 'string') used.add(`${name}.${property}`);
      return Reflect.get(object, property, receiver);
    },
  });
}

interface ReadmeRow {
  readonly item: string;
  readonly PK: string[];
  readonly SK: string[];
  readonly gsi1: string[];
  readonly gsi2: string[];
}

/** The code spans of a cell (for an index cell: those before ` / `). */
function codeSpans(cell: string, indexCell = false): string[] {
  const part = indexCell ? (cell.split(' / ')[0] ?? '') : cell;
  return [...part.matchAll(/`([^`]*)`/g)].map(([, span]) => span ?? '');
}

/** The rows of the first table after the "**Table design**" note. */
function documentedTableDesign(): ReadmeRow[] {
  const notes = readFileSync(fromRepoRoot('docs/design-notes.md'), 'utf8');
  const lines = notes.slice(notes.indexOf('**Table design**')).split('\n');
  const first = lines.findIndex((line) => line.trim().startsWith('|'));
  const table: string[] = [];
  for (const line of lines.slice(first)) {
    if (!line.trim().startsWith('|')) break;
    table.push(line.trim());
  }
  return table.slice(2).map((line) => {
    const [item = '', pk = '', sk = '', gsi1 = '', gsi2 = ''] = line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim());
    return {
      item,
      PK: codeSpans(pk),
      SK: codeSpans(sk),
      gsi1: codeSpans(gsi1, true),
      gsi2: codeSpans(gsi2, true),
    };
  });
}

/** A documented key with each placeholder replaced by its sample value. */
function withSamples(pattern: string): string {
  return pattern.replaceAll(/<[^>]*>/g, (placeholder) => {
    if (!(placeholder in SAMPLE)) {
      throw new Error(
        `Unknown placeholder ${placeholder} in the table design (docs/design-notes.md); add it to SAMPLE.`
      );
    }
    return SAMPLE[placeholder as keyof typeof SAMPLE];
  });
}

const documentedRows = documentedTableDesign();
const used = new Set<string>();
const built = itemKinds(
  recorded('keys', keys, used),
  recorded('requestKeys', requestKeys, used)
);

describe('The table design in docs/design-notes.md', () => {
  it('is found, with a row per item kind', () => {
    expect(documentedRows.length).toBeGreaterThan(10);
  });

  it('has a row for every item kind keys.ts builds, and no other', () => {
    // Act
    const documented = documentedRows.map((row) => row.item).sort();

    // Assess
    expect(documented).toEqual(Object.keys(built).sort());
  });

  it.each(Object.entries(built))(
    'shows the keys of the %s as keys.ts builds them',
    (item, expected) => {
      // Prepare
      const row = documentedRows.find((candidate) => candidate.item === item);
      if (!row) throw new Error(`docs/design-notes.md has no row '${item}'`);

      // Act
      const shown = {
        PK: row.PK.map(withSamples),
        SK: row.SK.map(withSamples),
        gsi1: row.gsi1.map(withSamples),
        gsi2: row.gsi2.map(withSamples),
      };

      // Assess
      expect(shown).toEqual({
        PK: [expected.PK],
        SK: [expected.SK],
        gsi1: expected.gsi1 ?? [],
        gsi2: expected.gsi2 ?? [],
      });
    }
  );

  it('uses every key builder of keys.ts', () => {
    // Prepare
    const members = [
      ...Object.keys(keys).map((name) => `keys.${name}`),
      ...Object.keys(requestKeys).map((name) => `requestKeys.${name}`),
    ];

    // Act
    const unused = members.filter(
      (member) => !used.has(member) && !(member in NOT_ITEM_KEYS)
    );

    // Assess
    expect(unused).toEqual([]);
  });
});

/**
 * The registry table's keys, indexes and TTL attribute: the one definition that
 * both the CDK stateful stack and the local runtime create the table from.
 * No CDK imports here, so the local runtime can load it without aws-cdk-lib.
 */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface GlobalSecondaryIndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
}

export interface TableDefinition {
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  readonly globalSecondaryIndexes: readonly GlobalSecondaryIndexDefinition[];
  /** Epoch-seconds attribute that DynamoDB TTL deletes items by. */
  readonly timeToLiveAttribute: string;
}

/**
 * Single-table design (docs/design-notes.md, "Table design"):
 * - `PK`/`SK` address every item;
 * - `GSI1` lists items of one kind in a stable order (models by name,
 *   a principal's tokens by id);
 * - `GSI2` orders the same collections by another key (models by last
 *   update).
 */
export const registryTable: TableDefinition = {
  partitionKey: { name: 'PK', type: 'S' },
  sortKey: { name: 'SK', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: 'GSI1',
      partitionKey: { name: 'GSI1PK', type: 'S' },
      sortKey: { name: 'GSI1SK', type: 'S' },
    },
    {
      indexName: 'GSI2',
      partitionKey: { name: 'GSI2PK', type: 'S' },
      sortKey: { name: 'GSI2SK', type: 'S' },
    },
  ],
  timeToLiveAttribute: 'expiresAt',
};

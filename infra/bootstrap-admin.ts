import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '#adapters/dynamodb/document-client.ts';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { ensureBootstrapAdmin } from '#domain/bootstrap.ts';
import { generateTokenValue } from '#domain/tokens.ts';

/**
 * `npm run bootstrap-admin -- --table <RegistryTableName>`: creates (or
 * rotates) the bootstrap admin's token in a deployed registry, with the
 * operator's own AWS credentials, and prints it once. Only its hash is
 * stored. The same code path as `npm start` uses locally.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      table: { type: 'string' },
      region: { type: 'string' },
      token: { type: 'string' },
    },
  });
  if (!values.table) {
    console.error(
      'usage: npm run bootstrap-admin -- --table <RegistryTableName output of Stagegate-Stateful> [--region <region>] [--token <dapi…>]'
    );
    process.exit(2);
  }
  const token = values.token ?? generateTokenValue();
  const client = createDocumentClient(
    new DynamoDBClient(values.region ? { region: values.region } : {})
  );
  await ensureBootstrapAdmin(
    new DynamoDBIdentityStore({ client, tableName: values.table }),
    token,
    Date.now()
  );
  client.destroy();
  console.log(
    values.token
      ? 'The bootstrap admin token is set.'
      : `Bootstrap admin token (shown once, keep it in a secret store): ${token}`
  );
}

main().catch((error: unknown) => {
  console.error('bootstrap-admin failed:', (error as Error).message);
  process.exit(1);
});

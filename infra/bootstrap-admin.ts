import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '#adapters/dynamodb/document-client.ts';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { ensureBootstrapAdmin } from '#domain/bootstrap.ts';
import { generateTokenValue } from '#domain/tokens.ts';
import {
  BOOTSTRAP_ADMIN_USAGE,
  bootstrapAdminArguments,
  EXIT_USAGE,
  UsageError,
} from '#local/usage.ts';

/**
 * `npm run bootstrap-admin -- --table <RegistryTableName>`: creates (or
 * rotates) the bootstrap admin's token in a deployed registry, with the
 * operator's own AWS credentials, and prints it once. Only its hash is
 * stored. The same code path as `npm start` uses locally.
 */
async function main(): Promise<void> {
  const values = bootstrapAdminArguments(process.argv.slice(2));
  if (values.kind === 'help') {
    process.stdout.write(BOOTSTRAP_ADMIN_USAGE);
    return;
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
  if (error instanceof UsageError) {
    console.error(`bootstrap-admin: ${error.message}`);
    process.exit(EXIT_USAGE);
  }
  console.error('bootstrap-admin failed:', (error as Error).message);
  process.exit(1);
});

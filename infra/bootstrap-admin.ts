import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '#adapters/dynamodb/document-client.ts';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { generateTokenValue } from '#domain/tokens.ts';
import {
  BOOTSTRAP_ADMIN_USAGE,
  bootstrapAdminArguments,
  EXIT_USAGE,
  UsageError,
} from '#local/usage.ts';
import { bootstrapAdmin } from './operations/bootstrap-admin.ts';
import { putSecretValue } from './secrets-manager.ts';
import { stageNames } from './stage-config.ts';

/**
 * `npm run bootstrap-admin -- --stage prod`: makes (or replaces) the
 * deployed registry's bootstrap admin token with the operator's own AWS
 * credentials, keeps it in the stage's secret and prints how to read it;
 * it expires on its own. `--revoke` ends it once real admins exist
 * (docs/deployment.md, "First admin"). Only the token's hash is in the
 * table; the token is never printed and never taken as an argument.
 */
async function main(): Promise<void> {
  const values = bootstrapAdminArguments(process.argv.slice(2));
  if (values.kind === 'help') {
    process.stdout.write(BOOTSTRAP_ADMIN_USAGE);
    return;
  }
  const names = stageNames({ name: values.stage });
  const dynamodb = new DynamoDBClient(
    values.region ? { region: values.region } : {}
  );
  const client = createDocumentClient(dynamodb);
  const region = await dynamodb.config.region();
  const result = await bootstrapAdmin(
    {
      identities: new DynamoDBIdentityStore({
        client,
        tableName: names.table,
      }),
      storeToken: async (token) =>
        putSecretValue({
          region,
          credentials: await dynamodb.config.credentials(),
          secretId: names.bootstrapSecret,
          secretString: token,
        }),
      newToken: generateTokenValue,
      now: Date.now,
    },
    {
      revoke: values.revoke,
      ...(values.hours === undefined ? {} : { hours: values.hours }),
    }
  );
  client.destroy();
  if (result.action === 'revoked') {
    console.log(
      `The bootstrap admin token of ${values.stage} is revoked (secret ${names.bootstrapSecret} overwritten).`
    );
    return;
  }
  console.log(
    `The bootstrap admin token of ${values.stage} is in the secret ${names.bootstrapSecret} and expires at ${new Date(result.expiresAt).toISOString()}. Read it with:\n  aws secretsmanager get-secret-value --region ${region} --secret-id ${names.bootstrapSecret} --query SecretString --output text`
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

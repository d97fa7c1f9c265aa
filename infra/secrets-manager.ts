import { createHash, createHmac, randomUUID } from 'node:crypto';

/** AWS credentials as the SDK's credential chain resolves them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface PutSecretValueInput {
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** The secret's name or ARN. */
  readonly secretId: string;
  readonly secretString: string;
  /** @default `https://secretsmanager.<region>.amazonaws.com` */
  readonly endpoint?: string;
  /** @default the current time */
  readonly now?: Date;
}

/**
 * Secrets Manager's PutSecretValue, for the operator scripts: one signed
 * (SigV4) awsJson1_1 call with the operator's own credentials. The project
 * ships no Secrets Manager client (the functions never read secrets), and
 * this one call does not justify one; the credentials come from an SDK
 * client of the project (`client.config.credentials()`), so every way of
 * configuring them works as for `cdk deploy`.
 * @throws Error with Secrets Manager's error type and message.
 */
export async function putSecretValue(
  input: PutSecretValueInput
): Promise<void> {
  const url = new URL(
    input.endpoint ?? `https://secretsmanager.${input.region}.amazonaws.com`
  );
  const body = JSON.stringify({
    SecretId: input.secretId,
    SecretString: input.secretString,
    ClientRequestToken: randomUUID(),
  });
  const headers = signedHeaders({
    method: 'POST',
    host: url.host,
    body,
    region: input.region,
    service: 'secretsmanager',
    credentials: input.credentials,
    now: input.now ?? new Date(),
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.PutSecretValue',
    },
  });
  const response = await fetch(new URL('/', url), {
    method: 'POST',
    headers,
    body,
  });
  if (!response.ok) {
    const text = await response.text();
    let reason = text;
    try {
      const error = JSON.parse(text) as {
        __type?: string;
        message?: string;
        Message?: string;
      };
      reason = `${error.__type ?? 'Error'}: ${error.message ?? error.Message ?? ''}`;
    } catch {
      // Not JSON: the text as it came.
    }
    throw new Error(
      `Secrets Manager refused PutSecretValue (${response.status}): ${reason}`
    );
  }
}

/**
 * The headers of a SigV4-signed request to `/` with no query (what the
 * JSON protocols send): the given ones plus host, date, session token and
 * authorization, every one of them signed.
 */
export function signedHeaders(request: {
  readonly method: string;
  readonly host: string;
  readonly body: string;
  readonly region: string;
  readonly service: string;
  readonly credentials: AwsCredentials;
  readonly now: Date;
  readonly headers: Readonly<Record<string, string>>;
}): Record<string, string> {
  const amzDate = request.now.toISOString().replace(/[:-]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [
        name.toLowerCase(),
        value,
      ])
    ),
    host: request.host,
    'x-amz-date': amzDate,
    ...(request.credentials.sessionToken
      ? { 'x-amz-security-token': request.credentials.sessionToken }
      : {}),
  };
  const names = Object.keys(headers).sort();
  const canonicalRequest = [
    request.method,
    '/',
    '',
    `${names.map((name) => `${name}:${(headers[name] ?? '').trim()}`).join('\n')}\n`,
    names.join(';'),
    sha256(request.body),
  ].join('\n');
  const scope = `${day}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    sha256(canonicalRequest),
  ].join('\n');
  let key = hmac(`AWS4${request.credentials.secretAccessKey}`, day);
  for (const part of [request.region, request.service, 'aws4_request']) {
    key = hmac(key, part);
  }
  const signature = createHmac('sha256', key)
    .update(stringToSign, 'utf8')
    .digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${request.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

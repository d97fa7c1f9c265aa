import { InvalidParameterValueError } from '../errors.ts';

/**
 * A Slack channel as the registry's settings name it: a channel id
 * (`C…` public, `G…` private) or a `#name`; `''` clears the setting.
 * @returns the channel, or undefined for "none".
 * @throws InvalidParameterValueError naming the field.
 */
export function validateSlackChannel(value: string): string | undefined {
  if (value === '') return undefined;
  if (!/^([CG][A-Z0-9]{8,20}|#[a-z0-9][a-z0-9._-]{0,79})$/.test(value)) {
    throw new InvalidParameterValueError(
      "channel must be a Slack channel id (C… or G…, as in the channel's details) or a #name of lowercase letters, digits, '.', '_' and '-' (at most 80 characters), or '' for none."
    );
  }
  return value;
}

/**
 * Item keys of the single-table design (README, "Table design"). Every key
 * string is built here and nowhere else.
 */
export const keys = {
  registeredModel: (id: string) => ({ PK: `RM#${id}`, SK: '#RM' }),
  /** Uniqueness guard of a model name; points at the model's id. */
  registeredModelName: (name: string) => ({
    PK: `RMNAME#${name}`,
    SK: '#RMNAME',
  }),
  /** GSI1 partition listing every registered model by name. */
  registeredModelsByName: 'RM',
  /** GSI2 partition listing every registered model by last update. */
  registeredModelsByUpdate: 'RM',
  principal: (id: string) => ({ PK: `PRINCIPAL#${id}`, SK: '#PRINCIPAL' }),
  token: (tokenHash: string) => ({ PK: `TOKEN#${tokenHash}`, SK: '#TOKEN' }),
  /** GSI1 partition listing one principal's tokens by id. */
  tokensOfPrincipal: (principalId: string) => `PRINCIPAL#${principalId}#TOKENS`,
} as const;

/** Fixed-width timestamps sort correctly as strings. */
export function sortableTimestamp(epochMillis: number): string {
  return String(epochMillis).padStart(15, '0');
}

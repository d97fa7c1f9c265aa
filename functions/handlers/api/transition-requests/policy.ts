import { z } from 'zod';
import {
  getRegistryPolicy,
  type RequestDependencies,
  setRegistryPolicy,
} from '#domain/registry/requests.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { stagePolicyJson, stagePolicySchema } from '#http/wire.ts';

type Context = OperationContext<RequestDependencies>;

/** Extension: the registry's protected-stage policy (anyone reads it). */
export const getRegistryPolicyOperation = defineOperation({
  operation: 'getRegistryPolicy',
  summary: "Get the registry's protected-stage policy (extension)",
  output: z.object({ policy: stagePolicySchema }),
  input: z.object({}),
  run: async (_input, { deps }: Context) => ({
    policy: stagePolicyJson(await getRegistryPolicy(deps)),
  }),
});

/** Extension (admins): sets the registry's protected-stage policy. */
export const updateRegistryPolicyOperation = defineOperation({
  operation: 'updateRegistryPolicy',
  summary: "Change the registry's protected-stage policy (extension, admins)",
  output: z.object({ policy: stagePolicySchema }),
  input: z.object({
    protected_stages: fields.stringList().optional(),
    required_approvals: fields.int64().optional(),
  }),
  run: async (input, { deps }: Context) => ({
    policy: stagePolicyJson(
      await setRegistryPolicy(deps, {
        protectedStages: input.protected_stages,
        requiredApprovals: input.required_approvals,
      })
    ),
  }),
});

import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges, on `scope` (an IAM role or policy), the cdk-nag
 * `AwsSolutions-IAM5[Resource::…]` finding for exactly one wildcard
 * resource, with its reason.
 *
 * The finding id embeds the resource as cdk-nag flattens it from the
 * template. For a resource of another stack (the artifact bucket) that text
 * only exists once CDK has turned the reference into an import, which it
 * does while preparing synthesis; the acknowledgment is therefore recorded
 * from a construct validation, which runs after that step and before the
 * validation plugins (a synthesis with `skipValidation` would leave the
 * finding unacknowledged). The flattening is cdk-nag's own, so the id cannot
 * drift from the finding.
 */
export function acknowledgeWildcardResource(
  scope: IConstruct,
  resource: string,
  reason: string
): void {
  scope.node.addValidation({
    validate: () => {
      const flattened = flattenCfnReference(Stack.of(scope).resolve(resource));
      if (!flattened.includes('*')) return [];
      Validations.of(scope).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flattened}]`,
        reason,
      });
      return [];
    },
  });
}

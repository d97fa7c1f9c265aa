import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface FailureQueueProps {
  /** What lands in it, for the queue's description in the findings. */
  readonly purpose: string;
}

/**
 * Where failed asynchronous work ends: an SQS queue used as a Lambda
 * on-failure destination, an EventBridge target's dead-letter queue or an
 * SNS subscription's. Encrypted, TLS only, messages kept 14 days (SQS's
 * longest) so an operator can look at them and re-drive them
 * (docs/operations.md). Its depth is alarmed on.
 */
export class FailureQueue extends Construct {
  readonly queue: Queue;

  constructor(scope: Construct, id: string, props: FailureQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const reason = `This queue is itself the end of the line for ${props.purpose}; a queue behind it would only move the problem.`;
    Validations.of(this.queue).acknowledge({ id: 'AwsSolutions-SQS3', reason });
    Validations.of(this.queue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason,
    });
  }
}

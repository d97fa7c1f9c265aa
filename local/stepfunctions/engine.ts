import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type {
  RunOptions,
  StateMachineDefinition,
} from 'aws-local-stepfunctions';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
} from 'aws-local-stepfunctions';

/** Any value JSON can carry: what flows between states. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** What a local task handler learns about the Task state that called it. */
export interface TaskInvocation {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly stateName: string;
  /** The state's `Resource`, after substitution. */
  readonly resource: string;
  /** The handler key that was looked up: `Parameters.FunctionName` for Lambda integrations, else `Resource`. */
  readonly target: string;
}

/**
 * Stands in for a Lambda function (or another task resource). Receives what
 * the Lambda would receive as its event (`Parameters.Payload` for the
 * `lambda:invoke` integrations, the raw effective input otherwise) and returns
 * what the function would return. A thrown error fails the state, its `name`
 * being the error that Retry and Catch match on.
 */
export type TaskHandler = (
  payload: JsonValue,
  invocation: TaskInvocation
) => unknown;

export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED';

/** The DescribeExecution view of an execution; JSON documents stay strings, as on AWS. */
export interface ExecutionDescription {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date | undefined;
  readonly input: string;
  readonly output?: string | undefined;
  readonly error?: string | undefined;
  readonly cause?: string | undefined;
}

/** The ListExecutions view of an execution. */
export type ExecutionListItem = Pick<
  ExecutionDescription,
  | 'executionArn'
  | 'stateMachineArn'
  | 'name'
  | 'status'
  | 'startDate'
  | 'stopDate'
>;

/** One entry of an execution's event log, as aws-local-stepfunctions reports it. */
export type ExecutionEvent =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<
    infer Event
  >
    ? Event
    : never;

/** The Step Functions API error names this engine raises (the SDK's exception class names). */
export type StepFunctionsErrorCode =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'InvalidArn'
  | 'InvalidDefinition'
  | 'InvalidExecutionInput'
  | 'InvalidName'
  | 'InvalidOutput'
  | 'InvalidToken'
  | 'StateMachineDoesNotExist'
  | 'TaskTimedOut'
  | 'ValidationException';

/**
 * A Step Functions API error. `name` and `code` are both the AWS error name
 * (`TaskTimedOut`, `ExecutionDoesNotExist`, …), so callers can match either
 * way and the HTTP shim can send it as the `__type` the SDK maps to its
 * exception classes.
 */
export class LocalStepFunctionsError extends Error {
  readonly code: StepFunctionsErrorCode;

  constructor(code: StepFunctionsErrorCode, message: string) {
    super(message);
    this.name = code;
    this.code = code;
  }
}

export interface StateMachineRegistration {
  /** `arn:aws:states:<region>:<account>:stateMachine:<name>`; executions get ARNs in the same partition, region and account. */
  readonly stateMachineArn: string;
  /** Path of the ASL file, the very file CDK deploys. */
  readonly definitionPath: string;
  /** The map CDK passes as `definitionSubstitutions`. @default {} */
  readonly substitutions?: Readonly<Record<string, string>>;
}

export interface LocalStepFunctionsEngineOptions {
  /**
   * Local stand-ins for the task resources, keyed by function name or ARN
   * (the value `Parameters.FunctionName` has after substitution) or, for
   * other integrations, by the state's `Resource`. A key that is a plain
   * function name also matches any Lambda ARN of that name, and the reverse.
   */
  readonly handlers: Readonly<Record<string, TaskHandler>>;
  /**
   * Replaces every `Retry` interval with this many milliseconds, so tests do
   * not wait out real back-off. @default the intervals of the definition
   */
  readonly retryDelayMs?: number;
  /**
   * How many finished executions stay describable; the oldest are forgotten
   * first (AWS keeps them 90 days). @default 10000
   */
  readonly maxClosedExecutions?: number;
}

/** Node's timers hold at most 2^31-1 ms; a longer delay fires after 1 ms instead. */
const MAX_TIMER_SECONDS = Math.floor(2_147_483_647 / 1000);
/** Step Functions' payload quota (input, output, task results). */
const MAX_PAYLOAD_BYTES = 262_144;
const MAX_HISTORY_EVENTS = 25_000;
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const CALLBACK_SUFFIX = '.waitForTaskToken';
const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:/;
const SEND_TASK_FAILURE_DEFAULT_ERROR = 'States.TaskFailed';
/** 32 random bytes, base64url: the only shape `newTaskToken` produces. */
const TASK_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const PLACEHOLDER = /\$\{([^}]*)\}/g;
const STATE_MACHINE_ARN =
  /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
const EXECUTION_ARN =
  /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:[^:]{1,80}$/;
const FORBIDDEN_NAME_CHARACTERS = new Set(' <>{}[]?*"#%\\^|~`$&,;:/');
/**
 * Definitions (after substitution and timeout capping) the library already
 * validated: its validator takes 200-400 ms per definition, and tests and
 * restarts register the same ones again and again.
 */
const validatedDefinitions = new Set<string>();

/**
 * Every distinct `${Key}` placeholder in an ASL text, in order of first use.
 */
export function findPlaceholders(text: string): string[] {
  return [
    ...new Set(Array.from(text.matchAll(PLACEHOLDER), (m) => m[1] ?? '')),
  ];
}

/**
 * Replaces `${Key}` with its value, textually, as CloudFormation does with a
 * state machine's `DefinitionSubstitutions` (so values land inside the JSON
 * strings the placeholders sit in). Keys the text does not use are ignored.
 * @throws LocalStepFunctionsError `InvalidDefinition` naming every placeholder left unsubstituted.
 */
export function substituteDefinition(
  text: string,
  substitutions: Readonly<Record<string, string>>
): string {
  const substituted = text.replace(PLACEHOLDER, (placeholder, key: string) =>
    Object.hasOwn(substitutions, key)
      ? (substitutions[key] ?? placeholder)
      : placeholder
  );
  const left = findPlaceholders(substituted);
  if (left.length > 0) {
    throw new LocalStepFunctionsError(
      'InvalidDefinition',
      `Unsubstituted placeholder(s) in the definition: ${left.map((key) => `\${${key}}`).join(', ')}`
    );
  }
  return substituted;
}

/**
 * Reads an ASL file and applies the substitutions (see `substituteDefinition`).
 * The result is parsed but not validated; registering it validates it.
 * @throws LocalStepFunctionsError `InvalidDefinition` when a placeholder is left or the result is not a JSON object.
 */
export function loadDefinition(
  definitionPath: string,
  substitutions: Readonly<Record<string, string>> = {}
): StateMachineDefinition {
  const text = substituteDefinition(
    readFileSync(definitionPath, 'utf8'),
    substitutions
  );
  let definition: unknown;
  try {
    definition = JSON.parse(text);
  } catch (error) {
    throw new LocalStepFunctionsError(
      'InvalidDefinition',
      `${definitionPath} is not valid JSON after substitution: ${messageOf(error)}`
    );
  }
  if (!isRecord(definition) || !isRecord(definition.States)) {
    throw new LocalStepFunctionsError(
      'InvalidDefinition',
      `${definitionPath} has no States object`
    );
  }
  // The library validates the full structure when the machine is registered.
  return definition as unknown as StateMachineDefinition;
}

interface TaskStateInfo {
  readonly resource: string;
  readonly timeoutSeconds: number | undefined;
  readonly timeoutSecondsPath: string | undefined;
}

interface RegisteredMachine {
  readonly arn: string;
  readonly name: string;
  /** `arn:<partition>:states:<region>:<account>:execution:<name>:` */
  readonly executionArnPrefix: string;
  readonly stateMachine: StateMachine;
  readonly tasks: ReadonlyMap<string, TaskStateInfo>;
  readonly retryStates: readonly string[];
}

interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate: Date | undefined;
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
  abort: () => void;
  /** The token `$$.Task.Token` handed out for the Task state being entered, until its override takes it. */
  issuedToken: string | undefined;
  readonly tokens: Set<string>;
  readonly history: ExecutionEvent[];
  historyComplete: Promise<void>;
}

interface PendingTask {
  readonly execution: ExecutionRecord;
  readonly stateName: string;
  readonly resolve: (output: JsonValue) => void;
  readonly reject: (error: Error) => void;
  deadline: NodeJS.Timeout | undefined;
}

interface Outcome {
  readonly status: Exclude<ExecutionStatus, 'RUNNING'>;
  readonly output?: string | undefined;
  readonly error?: string | undefined;
  readonly cause?: string | undefined;
}

/** An error a task fails with; `name` is what Retry and Catch match. */
class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/**
 * Fails the execution whatever its Retry and Catch say: the library reads
 * `isRetryable`/`isCatchable` off errors. Used to unwind a state whose
 * execution has already ended (no Retry may re-invoke a handler, no Catch
 * resume it) and for local setup errors nothing should swallow.
 */
class UncatchableFailure extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  override readonly name = 'States.Runtime';
}

/**
 * A local Step Functions service on top of aws-local-stepfunctions: it runs
 * the ASL files CDK deploys (after the same substitutions), emulates the
 * `lambda:invoke` result shape and the `.waitForTaskToken` callback pattern,
 * and keeps executions in the Step Functions API's terms.
 *
 * Task errors: a handler's thrown error fails the state with the error's
 * `name` as the error Retry and Catch match (so `class TransientError`
 * named `TransientError` meets `"ErrorEquals": ["TransientError"]`). For
 * Lambda-backed states (the `lambda:invoke` integrations and plain Lambda
 * ARNs as `Resource`) the cause is what the Lambda service reports for a
 * function error, `{"errorType","errorMessage","trace"}` as JSON text; for
 * other resources it is the message. A Lambda with no local handler fails
 * with `Lambda.ResourceNotFoundException`, as a missing function does on
 * AWS; any other resource without one fails the execution (`States.Runtime`,
 * past Retry and Catch). SendTaskFailure without an error name fails the
 * state with `States.TaskFailed`.
 *
 * Task tokens: one per entry into (or retry of) a callback state, random
 * and single-use. A token of the wrong shape is `InvalidToken`; one that is
 * unknown, used, or whose state or execution has ended (answered, timed out,
 * failed, stopped) is `TaskTimedOut`, as AWS answers.
 *
 * Executions live in memory and die with the process: after a restart there
 * are none, and every task token handed out before is unknown
 * (`TaskTimedOut`). Whoever owns the waiting work (the runtime) lists what it
 * still needs and starts new executions; `listRunningExecutions` shows what
 * is alive now.
 *
 * Differences from AWS, on purpose or inherited: `HeartbeatSeconds` is not
 * enforced (`sendTaskHeartbeat` only checks the token); JSONata and `Assign`
 * are not supported; Task timeouts (and a missing `TimeoutSeconds`, which on
 * AWS means 99999999 s) are capped at 2147483 s (~24.8 days, the longest
 * Node timer); only `$$.Execution.Id/Name/Input/StartTime`,
 * `$$.StateMachine.Id/Name` and `$$.Task.Token` are in the context object.
 */
export class LocalStepFunctionsEngine {
  readonly #handlers: ReadonlyMap<string, TaskHandler>;
  readonly #handlersByFunctionName: ReadonlyMap<string, TaskHandler>;
  readonly #retryDelayMs: number | undefined;
  readonly #maxClosedExecutions: number;
  readonly #machines = new Map<string, RegisteredMachine>();
  readonly #executions = new Map<string, ExecutionRecord>();
  readonly #closedOrder: string[] = [];
  readonly #tasks = new Map<string, PendingTask>();

  /**
   * @throws Error when two handler keys name the same Lambda function.
   */
  constructor(options: LocalStepFunctionsEngineOptions) {
    this.#handlers = new Map(Object.entries(options.handlers));
    const byName = new Map<string, TaskHandler>();
    for (const [key, handler] of this.#handlers) {
      const functionName = lambdaFunctionName(key);
      if (byName.has(functionName)) {
        throw new Error(
          `Two task handlers name the Lambda function "${functionName}"`
        );
      }
      byName.set(functionName, handler);
    }
    this.#handlersByFunctionName = byName;
    this.#retryDelayMs = options.retryDelayMs;
    this.#maxClosedExecutions = options.maxClosedExecutions ?? 10_000;
  }

  /**
   * Loads, substitutes and validates an ASL file and makes it startable under
   * `stateMachineArn`. Registering an ARN again replaces its definition for
   * new executions (like UpdateStateMachine); running ones keep theirs.
   * @throws LocalStepFunctionsError `InvalidArn` for a malformed ARN, `InvalidDefinition` for a placeholder left, bad JSON or invalid ASL.
   */
  registerStateMachine(registration: StateMachineRegistration): {
    stateMachineArn: string;
    name: string;
  } {
    const match = STATE_MACHINE_ARN.exec(registration.stateMachineArn);
    if (!match) {
      throw invalidArn(registration.stateMachineArn);
    }
    const [, partition, region, account, name = ''] = match;
    const definition = loadDefinition(
      registration.definitionPath,
      registration.substitutions
    );
    capTimeouts(definition);
    const key = JSON.stringify(definition);
    let stateMachine: StateMachine;
    try {
      stateMachine = new StateMachine(definition, {
        validationOptions: validatedDefinitions.has(key)
          ? { noValidate: true }
          : { checkPaths: true, checkArn: true },
      });
    } catch (error) {
      throw new LocalStepFunctionsError(
        'InvalidDefinition',
        `${registration.definitionPath}: ${messageOf(error)}`
      );
    }
    validatedDefinitions.add(key);
    const tasks = new Map<string, TaskStateInfo>();
    const retryStates: string[] = [];
    forEachState(definition, (stateName, state) => {
      if (Array.isArray(state.Retry)) {
        retryStates.push(stateName);
      }
      if (state.Type === 'Task' && typeof state.Resource === 'string') {
        tasks.set(stateName, {
          resource: state.Resource,
          timeoutSeconds:
            typeof state.TimeoutSeconds === 'number'
              ? state.TimeoutSeconds
              : undefined,
          timeoutSecondsPath:
            typeof state.TimeoutSecondsPath === 'string'
              ? state.TimeoutSecondsPath
              : undefined,
        });
      }
    });
    this.#machines.set(registration.stateMachineArn, {
      arn: registration.stateMachineArn,
      name,
      executionArnPrefix: `arn:${partition}:states:${region}:${account}:execution:${name}:`,
      stateMachine,
      tasks,
      retryStates,
    });
    return { stateMachineArn: registration.stateMachineArn, name };
  }

  /**
   * Starts an execution (StartExecution). Like a Standard workflow, starting
   * again with the name and input of a running execution returns that
   * execution instead of a new one.
   * @param input JSON text. @default '{}'
   * @param name execution name. @default a random UUID
   * @throws LocalStepFunctionsError `InvalidArn`, `StateMachineDoesNotExist`, `InvalidName`, `InvalidExecutionInput`, `ValidationException` (input over 256 KiB), `ExecutionAlreadyExists` (the name is taken by a finished execution or by a running one with another input).
   */
  startExecution(
    stateMachineArn: string,
    input = '{}',
    name: string = randomUUID()
  ): { executionArn: string; startDate: Date } {
    const machine = this.#machine(stateMachineArn);
    assertExecutionName(name);
    const parsedInput = parseJsonDocument(input, 'InvalidExecutionInput');
    const executionArn = `${machine.executionArnPrefix}${name}`;
    const existing = this.#executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new LocalStepFunctionsError(
        'ExecutionAlreadyExists',
        `Execution Already Exists: '${executionArn}'`
      );
    }

    const execution: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name,
      input,
      startDate: new Date(),
      status: 'RUNNING',
      stopDate: undefined,
      output: undefined,
      error: undefined,
      cause: undefined,
      abort: () => undefined,
      issuedToken: undefined,
      tokens: new Set(),
      history: [],
      historyComplete: Promise.resolve(),
    };
    // Registered before the run starts: its first Task state can call back in.
    this.#executions.set(executionArn, execution);

    const run = machine.stateMachine.run(parsedInput, {
      overrides: this.#overridesFor(machine, execution),
      context: {
        Execution: { Id: executionArn, Name: name },
        StateMachine: { Id: machine.arn, Name: machine.name },
        // A getter, because the library evaluates `$$.Task.Token` anew on
        // every state entry but never generates one itself. The token stays
        // the same until the entered Task state's override takes it, so a
        // Parameters block that names it twice sees one token.
        Task: {
          get Token(): string {
            execution.issuedToken ??= newTaskToken();
            return execution.issuedToken;
          },
        },
      },
    });
    execution.abort = run.abort;
    execution.historyComplete = recordHistory(execution, run.eventLogs);
    run.result.then(
      (output) =>
        this.#close(execution, {
          status: 'SUCCEEDED',
          output: JSON.stringify(output ?? null),
        }),
      (error: unknown) => this.#close(execution, outcomeOfFailure(error))
    );
    return { executionArn, startDate: execution.startDate };
  }

  /**
   * DescribeExecution.
   * @throws LocalStepFunctionsError `InvalidArn`, `ExecutionDoesNotExist`.
   */
  describeExecution(executionArn: string): ExecutionDescription {
    const execution = this.#execution(executionArn);
    return {
      ...listItem(execution),
      input: execution.input,
      output: execution.output,
      error: execution.error,
      cause: execution.cause,
    };
  }

  /**
   * StopExecution: the execution is ABORTED with the given error and cause,
   * at once, and its task tokens stop being valid. Stopping a finished
   * execution changes nothing and returns when it stopped.
   * @throws LocalStepFunctionsError `InvalidArn`, `ExecutionDoesNotExist`, `ValidationException` (error over 256 or cause over 32768 characters).
   */
  stopExecution(
    executionArn: string,
    error?: string,
    cause?: string
  ): { stopDate: Date } {
    const execution = this.#execution(executionArn);
    assertLength('error', error, 256);
    assertLength('cause', cause, 32_768);
    if (execution.status === 'RUNNING') {
      this.#close(execution, { status: 'ABORTED', error, cause });
      execution.abort();
    }
    return { stopDate: execution.stopDate ?? new Date() };
  }

  /**
   * SendTaskSuccess: completes the callback state that handed out `taskToken`
   * with `output` as its result. A token works once.
   * @throws LocalStepFunctionsError `InvalidOutput` (not JSON; the token stays valid), `ValidationException` (output over 256 KiB, token length), `InvalidToken` (not a token this engine could have made), `TaskTimedOut` (unknown, already used, or its state or execution has ended, timed out or been stopped).
   */
  sendTaskSuccess(taskToken: string, output: string): void {
    this.#pendingTask(taskToken);
    const result = parseJsonDocument(output, 'InvalidOutput');
    this.#takeTask(taskToken).resolve(result);
  }

  /**
   * SendTaskFailure: fails the callback state that handed out `taskToken`;
   * Retry and Catch see `error` as the error name and `cause` as the cause.
   * @param error @default 'States.TaskFailed'
   * @param cause @default ''
   * @throws LocalStepFunctionsError `ValidationException` (error over 256 or cause over 32768 characters), `InvalidToken`, `TaskTimedOut` (as for `sendTaskSuccess`).
   */
  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    assertLength('error', error, 256);
    assertLength('cause', cause, 32_768);
    this.#pendingTask(taskToken);
    this.#takeTask(taskToken).reject(
      new TaskFailure(error ?? SEND_TASK_FAILURE_DEFAULT_ERROR, cause ?? '')
    );
  }

  /**
   * SendTaskHeartbeat: checks the token is still waiting. `HeartbeatSeconds`
   * is not enforced locally, so there is nothing to extend.
   * @throws LocalStepFunctionsError `InvalidToken`, `TaskTimedOut` (as for `sendTaskSuccess`).
   */
  sendTaskHeartbeat(taskToken: string): void {
    this.#pendingTask(taskToken);
  }

  /**
   * ListExecutions of one state machine, newest first.
   * @throws LocalStepFunctionsError `InvalidArn`, `StateMachineDoesNotExist`, `ValidationException` (maxResults outside 0–1000), `InvalidToken` (a nextToken this engine did not hand out).
   */
  listExecutions(request: {
    readonly stateMachineArn: string;
    readonly statusFilter?: ExecutionStatus | undefined;
    /** 0 or absent means 100. */
    readonly maxResults?: number | undefined;
    readonly nextToken?: string | undefined;
  }): { executions: ExecutionListItem[]; nextToken?: string } {
    this.#machine(request.stateMachineArn);
    const pageSize = request.maxResults || DEFAULT_PAGE_SIZE;
    if (
      !Number.isInteger(pageSize) ||
      pageSize < 0 ||
      pageSize > MAX_PAGE_SIZE
    ) {
      throw new LocalStepFunctionsError(
        'ValidationException',
        `maxResults must be an integer from 0 to ${MAX_PAGE_SIZE}`
      );
    }
    const offset = decodePageToken(request.nextToken);
    const matching = [...this.#executions.values()]
      .filter(
        (execution) =>
          execution.stateMachineArn === request.stateMachineArn &&
          (request.statusFilter === undefined ||
            execution.status === request.statusFilter)
      )
      .reverse();
    const page = matching.slice(offset, offset + pageSize).map(listItem);
    return offset + pageSize < matching.length
      ? { executions: page, nextToken: encodePageToken(offset + pageSize) }
      : { executions: page };
  }

  /**
   * Every RUNNING execution, of every state machine, oldest first. These are
   * only the executions of this process: see the class notes on restarts.
   */
  listRunningExecutions(): ExecutionDescription[] {
    return [...this.#executions.values()]
      .filter((execution) => execution.status === 'RUNNING')
      .map((execution) => this.describeExecution(execution.executionArn));
  }

  /**
   * The event log aws-local-stepfunctions produced (StateEntered,
   * StateRetried, StateCaught, …). For a finished execution it waits until
   * the log is complete.
   * @throws LocalStepFunctionsError `InvalidArn`, `ExecutionDoesNotExist`.
   */
  async getExecutionHistory(
    executionArn: string
  ): Promise<readonly ExecutionEvent[]> {
    const execution = this.#execution(executionArn);
    if (execution.status !== 'RUNNING') {
      await execution.historyComplete;
    }
    return [...execution.history];
  }

  /**
   * Stops every running execution (ABORTED with `cause`), for a clean
   * shutdown: afterwards no timer or waiting task of this engine is left.
   * The engine stays usable.
   */
  async stopAllExecutions(
    cause = 'The local Step Functions engine stopped'
  ): Promise<void> {
    const running = [...this.#executions.values()].filter(
      (execution) => execution.status === 'RUNNING'
    );
    for (const execution of running) {
      this.stopExecution(execution.executionArn, undefined, cause);
    }
    await Promise.all(running.map((execution) => execution.historyComplete));
  }

  #machine(stateMachineArn: string): RegisteredMachine {
    if (!STATE_MACHINE_ARN.test(stateMachineArn)) {
      throw invalidArn(stateMachineArn);
    }
    const machine = this.#machines.get(stateMachineArn);
    if (!machine) {
      throw new LocalStepFunctionsError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn}'`
      );
    }
    return machine;
  }

  #execution(executionArn: string): ExecutionRecord {
    if (!EXECUTION_ARN.test(executionArn)) {
      throw invalidArn(executionArn);
    }
    const execution = this.#executions.get(executionArn);
    if (!execution) {
      throw new LocalStepFunctionsError(
        'ExecutionDoesNotExist',
        `Execution Does Not Exist: '${executionArn}'`
      );
    }
    return execution;
  }

  #overridesFor(
    machine: RegisteredMachine,
    execution: ExecutionRecord
  ): NonNullable<RunOptions['overrides']> {
    const taskResourceLocalHandlers: Record<
      string,
      (input: JsonValue) => Promise<JsonValue>
    > = {};
    for (const [stateName, task] of machine.tasks) {
      taskResourceLocalHandlers[stateName] = (input) =>
        this.#runTask(execution, stateName, task, input);
    }
    const retryDelayMs = this.#retryDelayMs;
    return retryDelayMs === undefined
      ? { taskResourceLocalHandlers }
      : {
          taskResourceLocalHandlers,
          retryIntervalOverrides: Object.fromEntries(
            machine.retryStates.map((stateName) => [stateName, retryDelayMs])
          ),
        };
  }

  /**
   * The override of one Task state. Everything up to the return runs in the
   * same tick as the library's evaluation of `Parameters` (so the token
   * issued there is the one taken here) and before the library arms its own
   * `TimeoutSeconds` timer (so the token's deadline fires first).
   */
  #runTask(
    execution: ExecutionRecord,
    stateName: string,
    task: TaskStateInfo,
    input: JsonValue
  ): Promise<JsonValue> {
    const issuedToken = execution.issuedToken;
    execution.issuedToken = undefined;
    if (execution.status !== 'RUNNING') {
      return Promise.reject(new UncatchableFailure('Execution has ended'));
    }
    // A TimeoutSecondsPath carried through Parameters (see capTimeouts).
    let pathTimeout: number | undefined;
    if (isRecord(input) && TIMEOUT_FIELD in input) {
      const { [TIMEOUT_FIELD]: carried, ...rest } = input;
      pathTimeout = typeof carried === 'number' ? carried : undefined;
      input = rest as JsonValue;
    }
    const lambda = task.resource.startsWith(LAMBDA_INVOKE);
    const lambdaBacked = lambda || LAMBDA_FUNCTION_ARN.test(task.resource);
    const callback = task.resource.endsWith(CALLBACK_SUFFIX);
    const target = lambda
      ? isRecord(input) && typeof input.FunctionName === 'string'
        ? input.FunctionName
        : ''
      : task.resource;
    const payload: JsonValue = lambda
      ? isRecord(input) && input.Payload !== undefined
        ? input.Payload
        : {}
      : input;
    const handler = this.#handlerFor(target);
    if (!handler) {
      // What AWS reports for a missing function; for other integrations a
      // missing handler is a local setup error, so nothing may catch it.
      return Promise.reject(
        lambdaBacked
          ? new TaskFailure(
              'Lambda.ResourceNotFoundException',
              `Function not found: ${target} (no local task handler)`
            )
          : new UncatchableFailure(
              `No local task handler for resource ${task.resource} (state ${stateName})`
            )
      );
    }
    const invocation: TaskInvocation = {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      stateName,
      resource: task.resource,
      target,
    };

    if (!callback) {
      return invokeLater(handler, payload, invocation).then(
        (result) => {
          const json = toJsonValue(result);
          return lambda
            ? { ExecutedVersion: '$LATEST', Payload: json, StatusCode: 200 }
            : json;
        },
        (error: unknown) => {
          throw taskFailure(error, lambdaBacked);
        }
      );
    }

    const taskToken = issuedToken ?? newTaskToken();
    const { promise, resolve, reject } = createDeferred<JsonValue>();
    // The library may stop awaiting this state (the execution failed or was
    // stopped elsewhere) before we settle it: a rejection nobody awaits must
    // not become an unhandled rejection that ends the whole process.
    promise.catch(() => undefined);
    const pending: PendingTask = {
      execution,
      stateName,
      resolve,
      reject,
      deadline: undefined,
    };
    // Registered before the handler runs: it may hand the token on (or send
    // it back) before it returns.
    this.#tasks.set(taskToken, pending);
    execution.tokens.add(taskToken);
    if (pathTimeout !== undefined && pathTimeout > 0) {
      // The library's timer is parked for this state: ours fails it, with
      // the error a Catch on States.Timeout expects.
      pending.deadline = setTimeout(() => {
        if (this.#tasks.get(taskToken) !== pending) return;
        this.#forgetTask(taskToken);
        reject(new TaskFailure('States.Timeout', 'Task timed out.'));
      }, Math.min(pathTimeout, MAX_TIMER_SECONDS) * 1000);
      pending.deadline.unref();
    } else {
      const timeoutSeconds =
        task.timeoutSeconds ?? numberAtPath(task.timeoutSecondsPath, input);
      if (timeoutSeconds !== undefined && timeoutSeconds > 0) {
        // The library's timer only fails the state; it cannot tell us, so
        // the token expires on a timer of ours with the same delay, armed
        // first.
        pending.deadline = setTimeout(
          () => this.#forgetTask(taskToken),
          Math.min(timeoutSeconds, MAX_TIMER_SECONDS) * 1000
        );
        pending.deadline.unref();
      }
    }
    invokeLater(handler, payload, invocation).catch((error: unknown) => {
      // As with the Lambda integration on AWS: a failed invocation fails the
      // state, unless the token was already answered.
      if (this.#tasks.get(taskToken) === pending) {
        this.#forgetTask(taskToken);
        reject(taskFailure(error, lambdaBacked));
      }
    });
    return promise;
  }

  #handlerFor(target: string): TaskHandler | undefined {
    if (target === '') {
      return undefined;
    }
    return (
      this.#handlers.get(target) ??
      this.#handlersByFunctionName.get(lambdaFunctionName(target))
    );
  }

  /**
   * @throws LocalStepFunctionsError `ValidationException`, `InvalidToken`, `TaskTimedOut`.
   */
  #pendingTask(taskToken: string): PendingTask {
    if (
      typeof taskToken !== 'string' ||
      taskToken.length < 1 ||
      taskToken.length > 2048
    ) {
      throw new LocalStepFunctionsError(
        'ValidationException',
        'taskToken must be 1 to 2048 characters long'
      );
    }
    if (!TASK_TOKEN_SHAPE.test(taskToken)) {
      throw new LocalStepFunctionsError(
        'InvalidToken',
        "Invalid Token: 'Invalid token'"
      );
    }
    const pending = this.#tasks.get(taskToken);
    if (!pending) {
      throw new LocalStepFunctionsError(
        'TaskTimedOut',
        "Task Timed Out: 'Provided task does not exist anymore'"
      );
    }
    return pending;
  }

  #takeTask(taskToken: string): PendingTask {
    const pending = this.#pendingTask(taskToken);
    this.#forgetTask(taskToken);
    return pending;
  }

  #forgetTask(taskToken: string): void {
    const pending = this.#tasks.get(taskToken);
    if (!pending) {
      return;
    }
    clearTimeout(pending.deadline);
    this.#tasks.delete(taskToken);
    pending.execution.tokens.delete(taskToken);
  }

  #close(execution: ExecutionRecord, outcome: Outcome): void {
    if (execution.status !== 'RUNNING') {
      return;
    }
    execution.status = outcome.status;
    execution.stopDate = new Date();
    execution.output = outcome.output;
    execution.error = outcome.error;
    execution.cause = outcome.cause;
    execution.issuedToken = undefined;
    // An override gets no abort signal: without this, the callback states of
    // a stopped or timed-out execution would wait (and accept answers)
    // forever. Rejecting also lets the library clear its state timers.
    for (const taskToken of [...execution.tokens]) {
      const pending = this.#tasks.get(taskToken);
      this.#forgetTask(taskToken);
      pending?.reject(new UncatchableFailure('Execution has ended'));
    }
    this.#closedOrder.push(execution.executionArn);
    while (this.#closedOrder.length > this.#maxClosedExecutions) {
      const forgotten = this.#closedOrder.shift();
      if (forgotten !== undefined) {
        this.#executions.delete(forgotten);
      }
    }
  }
}

function listItem(execution: ExecutionRecord): ExecutionListItem {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: new Date(execution.startDate),
    stopDate: execution.stopDate && new Date(execution.stopDate),
  };
}

function outcomeOfFailure(error: unknown): Outcome {
  if (error instanceof ExecutionAbortedError) {
    return { status: 'ABORTED' };
  }
  if (error instanceof ExecutionTimeoutError) {
    return {
      status: 'TIMED_OUT',
      error: 'States.Timeout',
      cause: 'The execution ran longer than its TimeoutSeconds',
    };
  }
  if (error instanceof ExecutionError && error.cause instanceof Error) {
    return {
      status: 'FAILED',
      error: error.cause.name,
      cause: error.cause.message,
    };
  }
  return { status: 'FAILED', error: 'States.Runtime', cause: messageOf(error) };
}

/**
 * A handler's error as the state sees it. Lambda-backed states get what the
 * Lambda service reports for a function error: the error's name as the
 * error, and `{"errorType","errorMessage","trace"}` JSON as the cause.
 */
function taskFailure(error: unknown, lambdaBacked: boolean): TaskFailure {
  const name = error instanceof Error ? error.name : 'Error';
  const message = messageOf(error);
  if (!lambdaBacked) {
    return new TaskFailure(name, message);
  }
  const trace =
    error instanceof Error && error.stack ? error.stack.split('\n') : [];
  return new TaskFailure(
    name,
    JSON.stringify({ errorType: name, errorMessage: message, trace })
  );
}

/** Calls the handler on a later tick, as a separate Lambda would run: never inside the engine's own call stack. */
function invokeLater(
  handler: TaskHandler,
  payload: JsonValue,
  invocation: TaskInvocation
): Promise<unknown> {
  const event = structuredClone(payload);
  return Promise.resolve().then(() => handler(event, invocation));
}

/** A handler's result through JSON, as it would cross the Lambda boundary. */
function toJsonValue(result: unknown): JsonValue {
  if (result === undefined) {
    return null;
  }
  return JSON.parse(JSON.stringify(result)) as JsonValue;
}

async function recordHistory(
  execution: ExecutionRecord,
  events: AsyncGenerator<ExecutionEvent>
): Promise<void> {
  try {
    for await (const event of events) {
      if (execution.history.length < MAX_HISTORY_EVENTS) {
        execution.history.push(event);
      }
    }
  } catch {
    // The log is diagnostic only; losing its tail must not fail anything.
  }
}

function newTaskToken(): string {
  return randomBytes(32).toString('base64url');
}

function createDeferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
} {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function parseJsonDocument(
  text: string,
  code: 'InvalidExecutionInput' | 'InvalidOutput'
): JsonValue {
  if (typeof text !== 'string') {
    throw new LocalStepFunctionsError(code, 'Expected a JSON document string');
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES) {
    throw new LocalStepFunctionsError(
      'ValidationException',
      `The document is larger than ${MAX_PAYLOAD_BYTES} bytes`
    );
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new LocalStepFunctionsError(
      code,
      `Invalid JSON: ${messageOf(error)}`
    );
  }
}

function assertExecutionName(name: string): void {
  const valid =
    typeof name === 'string' &&
    name.length >= 1 &&
    name.length <= 80 &&
    [...name].every((character) => {
      const code = character.codePointAt(0) ?? 0;
      const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
      return !control && !FORBIDDEN_NAME_CHARACTERS.has(character);
    });
  if (!valid) {
    throw new LocalStepFunctionsError(
      'InvalidName',
      `Invalid Name: '${String(name)}'`
    );
  }
}

function assertLength(
  field: string,
  value: string | undefined,
  max: number
): void {
  if (value !== undefined && value.length > max) {
    throw new LocalStepFunctionsError(
      'ValidationException',
      `${field} must be at most ${max} characters long`
    );
  }
}

function invalidArn(arn: string): LocalStepFunctionsError {
  return new LocalStepFunctionsError('InvalidArn', `Invalid Arn: '${arn}'`);
}

function encodePageToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodePageToken(token: string | undefined): number {
  if (token === undefined) {
    return 0;
  }
  const match = /^offset:(\d+)$/.exec(
    Buffer.from(token, 'base64url').toString('utf8')
  );
  if (!match) {
    throw new LocalStepFunctionsError(
      'InvalidToken',
      "Invalid Token: 'Invalid nextToken'"
    );
  }
  return Number(match[1]);
}

/** `my-fn` for `my-fn`, `arn:aws:lambda:<region>:<account>:function:my-fn[:qualifier]` and `<account>:function:my-fn`. */
function lambdaFunctionName(nameOrArn: string): string {
  const match = /(?:^|:)function:([^:]+)/.exec(nameOrArn);
  return match?.[1] ?? nameOrArn;
}

/**
 * Caps Task and execution timeouts at what a Node timer can hold, and gives
 * Task states without one the AWS default (99999999 s, capped) instead of the
 * library's 60 s, which would time out every human approval.
 */
/** The Parameters field that carries a rewritten TimeoutSecondsPath. */
const TIMEOUT_FIELD = '__stagegateTimeoutSeconds';

function capTimeouts(definition: StateMachineDefinition): void {
  const root = definition as unknown as Record<string, unknown>;
  if (
    typeof root.TimeoutSeconds === 'number' &&
    root.TimeoutSeconds > MAX_TIMER_SECONDS
  ) {
    root.TimeoutSeconds = MAX_TIMER_SECONDS;
  }
  forEachState(definition, (_, state) => {
    if (state.Type !== 'Task') {
      return;
    }
    // AWS resolves TimeoutSecondsPath against the state's input; the
    // library resolves it against the Parameters' output, where the path
    // usually points at nothing. Carry the path through Parameters instead
    // (resolved there against the state input, as AWS does) and time the
    // task out ourselves; the library's own timer is parked.
    if (
      typeof state.TimeoutSecondsPath === 'string' &&
      isRecord(state.Parameters)
    ) {
      state.Parameters[`${TIMEOUT_FIELD}.$`] = state.TimeoutSecondsPath;
      delete state.TimeoutSecondsPath;
      state.TimeoutSeconds = MAX_TIMER_SECONDS;
      return;
    }
    if (
      state.TimeoutSeconds === undefined &&
      state.TimeoutSecondsPath === undefined
    ) {
      state.TimeoutSeconds = MAX_TIMER_SECONDS;
    } else if (
      typeof state.TimeoutSeconds === 'number' &&
      state.TimeoutSeconds > MAX_TIMER_SECONDS
    ) {
      state.TimeoutSeconds = MAX_TIMER_SECONDS;
    }
  });
}

/** Visits every state, including those inside Parallel branches and Map processors. */
function forEachState(
  definition: unknown,
  visit: (stateName: string, state: Record<string, unknown>) => void
): void {
  if (!isRecord(definition) || !isRecord(definition.States)) {
    return;
  }
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (!isRecord(state)) {
      continue;
    }
    visit(stateName, state);
    if (Array.isArray(state.Branches)) {
      for (const branch of state.Branches) {
        forEachState(branch, visit);
      }
    }
    forEachState(state.ItemProcessor, visit);
    forEachState(state.Iterator, visit);
  }
}

/**
 * Reads a number at a simple JSONPath (`$.a.b`, `$.a[0]`, `$['a']`); anything
 * fancier gives undefined, and such a token then expires with its execution
 * rather than with its state.
 */
function numberAtPath(
  path: string | undefined,
  input: JsonValue
): number | undefined {
  if (path === undefined || !path.startsWith('$')) {
    return undefined;
  }
  const segments = /^(?:\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^']*)'\])/;
  let rest = path.slice(1);
  let value: unknown = input;
  while (rest.length > 0) {
    const match = segments.exec(rest);
    if (!match) {
      return undefined;
    }
    const key = match[1] ?? match[3];
    if (key !== undefined) {
      value = isRecord(value) ? value[key] : undefined;
    } else {
      value = Array.isArray(value) ? value[Number(match[2])] : undefined;
    }
    rest = rest.slice(match[0].length);
  }
  return typeof value === 'number' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The replicated state machines by the name schedule files, the CLI, URLs and the UI use.
 */
import { orderBook } from './order-book.ts';
import { register } from './register.ts';
import type { StateMachineName } from './state-machine.ts';

export type AnyStateMachine = typeof orderBook | typeof register;

export const STATE_MACHINE_NAMES: readonly StateMachineName[] = ['orders', 'register'];

export function isStateMachineName(raw: unknown): raw is StateMachineName {
  return STATE_MACHINE_NAMES.some((name) => name === raw);
}

export function stateMachineNamed(name: StateMachineName): AnyStateMachine {
  return name === 'orders' ? orderBook : register;
}

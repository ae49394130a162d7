/**
 * Staged starts for the explorer, as data: the FLP scene of solo mode (src/ui/solo.ts stageFlp)
 * expressed as explorer proposals and a prefix, so the CLI, the tests and the benchmark ask the
 * same question of the same state.
 */
import type { NodeId, Value } from '../core/types.ts';
import type { OnceAlgorithmSpec } from '../machines/spec.ts';
import type { ExploreOptions, PrefixStep, Proposal } from './explorer.ts';

export const FLP_SCENE_NODES: readonly NodeId[] = ['n1', 'n2', 'n3', 'n4', 'n5'];
/** The undecided fifth node both candidates are on their way to. */
export const FLP_SCENE_FIFTH: NodeId = 'n5';
/**
 * What the scene's adversary orders: the candidates on their way to n5 (the two messages the
 * story is about); every other message arrives at once, oldest first. Solo mode asks the same.
 */
export const FLP_SCENE_ADVERSARY = { to: [FLP_SCENE_FIFTH], kinds: ['candidate'] } as const satisfies NonNullable<ExploreOptions['adversary']>;
const CAMPS = [
  { proposer: 'n1', ally: 'n3', value: 'red' },
  { proposer: 'n2', ally: 'n4', value: 'blue' },
] as const satisfies readonly { proposer: NodeId; ally: NodeId; value: Value }[];

/**
 * n1 proposes red and n2 blue; each votes for its own candidate and its ally (n3, n4) hears it
 * first, so votes for it too; everything not addressed to n5 is then delivered (four nodes at
 * red 2 / blue 2), and both candidates are in flight to n5. `redFirst` also delivers red's
 * candidate to n5. The adversary orders only the candidates to n5 (what solo mode's hold lets
 * the user choose) and may crash one node; the network delivers the rest at once.
 */
export function flpScene(algorithm: OnceAlgorithmSpec, options: { readonly redFirst?: boolean } = {}): ExploreOptions {
  const deliver = (from: NodeId, to: NodeId): PrefixStep => ({ do: 'deliver', from, to, kind: 'candidate' });
  const prefix: PrefixStep[] = [];
  for (const { proposer, ally } of CAMPS) prefix.push(deliver(proposer, proposer), deliver(proposer, ally));
  prefix.push({ do: 'settle', except: [FLP_SCENE_FIFTH] });
  if (options.redFirst === true) prefix.push(deliver('n1', FLP_SCENE_FIFTH));
  const proposals: Proposal[] = CAMPS.map(({ proposer, value }) => ({ node: proposer, value }));
  return {
    algorithm,
    nodes: FLP_SCENE_NODES,
    proposals,
    prefix,
    maxCrashes: 1,
    maxDepth: 200,
    walks: 0,
    stopAtViolation: false,
    adversary: FLP_SCENE_ADVERSARY,
  };
}

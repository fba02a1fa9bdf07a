/** The XState peer's machine (also used, pure, for the bench's `transition` ceiling). */
import { setup } from 'xstate';
import type { EntryEvent } from './common.js';

export function cartMachine(holdMs: number, nudge: (entry: EntryEvent) => void) {
  return setup({
    types: {} as { context: { entry: EntryEvent }; input: { entry: EntryEvent }; events: { type: 'purchase_completed' } },
    actions: { nudge: ({ context }) => nudge(context.entry) },
    delays: { hold: holdMs },
  }).createMachine({
    id: 'cart-abandonment',
    context: ({ input }) => ({ entry: input.entry }),
    initial: 'waiting',
    states: {
      waiting: {
        after: { hold: { target: 'nudged', actions: 'nudge' } },
        on: { purchase_completed: 'purchased' },
      },
      nudged: { type: 'final' },
      purchased: { type: 'final' },
    },
  });
}

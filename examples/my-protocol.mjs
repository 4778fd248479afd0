// A plug-in protocol for `cft-bench compare --protocol ./examples/my-protocol.mjs` (or `train`):
// half the upstream examples alone first, then the other half together with the downstream
// ones. Same data budget as the built-ins, so compare's ledger check accepts it.
export default {
  name: 'warmup-then-cofinetune',
  description: 'half the upstream examples alone, then the rest co-finetuned with the downstream set',
  upstream: 'one', // 'none' | 'one' (the first upstream set) | 'all'
  phases: (ctx) => [
    // ctx: { downstream, upstream[], budget: { downstream, upstream }, batch, lr, pretrainLr, sampler }
    { name: 'warmup', examples: { [ctx.upstream[0]]: ctx.budget.upstream / 2 }, sampler: ctx.sampler, lr: ctx.pretrainLr, freshOptimizers: true },
    {
      name: 'cofinetune',
      examples: { [ctx.downstream]: ctx.budget.downstream, [ctx.upstream[0]]: ctx.budget.upstream / 2 },
      sampler: ctx.sampler,
      lr: ctx.lr, // the value under selection from --lr-grid
      freshOptimizers: true,
    },
  ],
};

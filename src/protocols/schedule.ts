/** Learning-rate schedule of a phase: linear warmup over the first `warmup` fraction, then cosine to 0. */
export function warmupCosine(peak: number, step: number, steps: number, warmup = 0.05): number {
  const w = Math.max(1, Math.round(warmup * steps));
  if (step < w) return (peak * (step + 1)) / w;
  return 0.5 * peak * (1 + Math.cos((Math.PI * (step - w)) / Math.max(1, steps - w)));
}

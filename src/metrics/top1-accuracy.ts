/** Top-1 accuracy: the share of examples whose predicted class is their label (NaN with no examples). */
export function top1Accuracy(predicted: ArrayLike<number>, label: (id: number) => number): number {
  let correct = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === label(i)) correct++;
  return predicted.length === 0 ? NaN : correct / predicted.length;
}

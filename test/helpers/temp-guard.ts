/**
 * Global setup: the temp dir must hold nothing new of ours after the whole suite — tests, and
 * the commands they run (check's ONNX scratch, shard merges, trainers), clean up after
 * themselves. A leftover fails the run, naming it.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';

const ours = /cft/i;
const list = () => new Set(readdirSync(tmpdir()).filter((n) => ours.test(n)));

export default function setup(): () => void {
  const before = list();
  return () => {
    const left = [...list()].filter((n) => !before.has(n));
    if (left.length > 0) throw new Error(`the test suite left ${left.length} entries in ${tmpdir()}: ${left.slice(0, 10).join(', ')}${left.length > 10 ? ', …' : ''}`);
  };
}

/**
 * TensorFlow.js backend selection. Default order: `tensorflow` via @tensorflow/tfjs-node-gpu,
 * then via @tensorflow/tfjs-node (optional: picked up only when the user has installed them;
 * their install downloads libtensorflow, so cft-bench does not depend on them), else `wasm`
 * (@tensorflow/tfjs-backend-wasm, single-threaded in Node). `cpu` is the pure-JS reference.
 * tfjs is imported lazily: importing it costs ~0.6 s, which `eval` should not pay.
 */
import type * as tfType from '@tensorflow/tfjs';

export type BackendName = 'auto' | 'wasm' | 'cpu' | 'tfjs-node' | 'tfjs-node-gpu';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'wasm', 'cpu', 'tfjs-node', 'tfjs-node-gpu'];

export interface LoadedBackend {
  readonly tf: typeof tfType;
  /** What runs, e.g. 'wasm', 'cpu', 'tensorflow (tfjs-node-gpu)'. */
  readonly name: string;
  /** Why this backend was chosen (one line for the user). */
  readonly note: string;
}

async function tryNode(pkg: 'tfjs-node' | 'tfjs-node-gpu'): Promise<typeof tfType | null> {
  try {
    const moduleName: string = `@tensorflow/${pkg}`; // a variable: not resolved at build time
    return (await import(moduleName)) as typeof tfType;
  } catch {
    return null;
  }
}

let loaded: LoadedBackend | null = null;

export async function loadBackend(requested: BackendName = 'auto'): Promise<LoadedBackend> {
  if (loaded !== null && (requested === 'auto' || loaded.name.includes(requested))) return loaded;
  if (requested === 'tfjs-node' || requested === 'tfjs-node-gpu' || requested === 'auto') {
    for (const pkg of requested === 'auto' ? (['tfjs-node-gpu', 'tfjs-node'] as const) : [requested]) {
      const tf = await tryNode(pkg);
      if (tf !== null) {
        await tf.setBackend('tensorflow');
        await tf.ready();
        return (loaded = { tf, name: `tensorflow (${pkg})`, note: `using @tensorflow/${pkg}` });
      }
      if (requested !== 'auto') {
        throw new Error(`--backend ${pkg}: @tensorflow/${pkg} is not installed (npm install @tensorflow/${pkg}; it downloads libtensorflow${pkg === 'tfjs-node-gpu' ? ' and needs CUDA' : ''})`);
      }
    }
  }
  const tf = await import('@tensorflow/tfjs');
  const name = requested === 'cpu' ? 'cpu' : 'wasm';
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  // tfjs prints an advert for tfjs-node on first use in Node; the note below says what runs instead
  const quiet = console.log;
  console.log = () => undefined;
  try {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`tfjs backend '${name}' failed to initialise`);
    await tf.ready();
  } finally {
    console.log = quiet;
  }
  const note =
    requested === 'auto'
      ? 'using wasm (install @tensorflow/tfjs-node or -node-gpu to use TensorFlow natively)'
      : `using ${name} (--backend ${requested})`;
  return (loaded = { tf, name, note });
}

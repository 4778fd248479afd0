/** Per test file: its temp dirs are removed when it ends. */
import { afterAll } from 'vitest';
import { removeTempDirs } from './cli.js';

afterAll(removeTempDirs);

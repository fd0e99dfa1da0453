import { ensureInceptionBackbone } from '../src/core/model/backbone.js';
import { trainCodebook } from '../src/core/model/train.js';
const bb = ensureInceptionBackbone('mixed7', undefined, console.log);
const m = await trainCodebook({ images: '/work/shared/datasets/caltech101', backbone: bb, heads: 8, codes: Number(process.argv[2]), resolution: 299, perClass: 10, vectors: 200000, seed: 0, iterations: 25, log: console.log });
console.log(m);

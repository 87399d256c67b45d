// index.d.mts — the declarations of `import ... from 'skv'`: the named exports of index.d.ts
// and the same object as the default export.
import * as skv from './index.js';

export * from './index.js';
export default skv;

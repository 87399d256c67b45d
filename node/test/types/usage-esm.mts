// usage-esm.mts — the ESM entry point's declarations: the default export and named exports.
import skv, { open, SkvError, type Txn } from 'skv';

const db = await open('/tmp/x');
const txn: Txn = db.begin();
txn.set('a', 'b');
await txn.commit();
await db.close();
const e = new SkvError('SKV_EINVAL');
const same: typeof skv.open = open;
void e, same;

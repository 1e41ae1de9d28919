// mysql2's table of MySQL error codes and names (lib/constants/errors.js: about 4,000 entries,
// 0.5 MB of heap), loaded on first use (checks/lazily.ts): mysql2 reads it only to name the code
// of an error the server sent.
import { dirname, join } from 'node:path';
import { lazily } from './lazily';

export = lazily(() => require(join(dirname(require.resolve('mysql2')), 'lib/constants/errors.js')) as Record<string, number | string>);

/** The action's entry (action.yml runs dist/index.js): runs main.ts's run() on the runner. */
import { run } from './main.js';

await run();

/** The smoke gate's typed config, as read from its spec by the action and the CLI alike. */
import type { ConfigOf } from '../kit/spec.js';
import type { SMOKE_SPEC } from './spec.js';

export type SmokeConfig = ConfigOf<typeof SMOKE_SPEC>;

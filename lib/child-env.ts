/**
 * The environment our child processes (a user's deploy commands, local service processes) inherit:
 * ours minus the action's inputs (`INPUT_GITHUB-TOKEN` among them; bash, macOS's /bin/sh, passes
 * even hyphenated names on) and the runner tokens that only actions get. A `run:` step sees
 * neither, so a deploy script or a service should not either.
 */
export function commandEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('INPUT_') || k === 'ACTIONS_RUNTIME_TOKEN' || k === 'ACTIONS_ID_TOKEN_REQUEST_TOKEN') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

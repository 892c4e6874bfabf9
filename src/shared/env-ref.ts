/**
 * `${VAR}` references in a setting (a webhook URL, the xxl-job access token, the fleet lock's
 * Redis URL), resolved from the environment when the setting is used, so secrets stay out of
 * the files. Undefined names are reported, and read as empty.
 */
export function expandEnv(text: string, env: Record<string, string | undefined>): { text: string; missing: string[] } {
  const missing: string[] = [];
  const out = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) missing.push(name);
    return v ?? '';
  });
  return { text: out, missing };
}

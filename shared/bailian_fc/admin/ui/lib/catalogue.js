// The app catalogue as the console shows it: keys, Chinese titles and modes from GET /admin/apps
// (catalogue/registry.py), fetched once per page load. No page lists app keys of its own.

let pending = null;

/** [{key, title, mode}] in catalogue order. */
export function catalogue(client) {
  if (!pending) pending = client.call('GET', '/admin/apps').then((d) => d.apps).catch((err) => { pending = null; throw err; });
  return pending;
}

/** key → Chinese title (the key itself for an app this build does not know). */
export async function titles(client) {
  const apps = await catalogue(client);
  return Object.fromEntries(apps.map((a) => [a.key, a.title]));
}

/** "董事会财务洞察" with the key as a small second line, for tables and lists. */
export const appName = (names, key) => (names && names[key]) || key;

// The browser bundle is published under names holding their content's hash, which a browser may keep for a year
// (RFC 9111, section 5.2.2.1; RFC 8246), and sent precompressed: brotli to a browser that accepts it, else gzip,
// else as it is, each with the file's own content type (the `.br` and `.gz` copies `make site` writes; RFC 9110,
// section 8.4) and `Vary: accept-encoding` for the caches on the way.
import { expect, type APIRequestContext } from '@playwright/test';
import { test } from './support';

const TYPES = { wasm: 'application/wasm', js: 'text/javascript', css: 'text/css' } as const;

/** The bundle's name as the home page links it: `/pkg/wxgate.<hash>`. */
async function publishedBundle(request: APIRequestContext): Promise<string> {
  const page = await (await request.get('/')).text();
  const script = page.match(/href="(\/pkg\/wxgate\.[0-9a-f]{16})\.js"/);
  expect(script, 'the home page links a content-named script').not.toBeNull();
  const bundle = script![1];
  expect(page).toContain(`${bundle}.wasm`);
  expect(page).toContain(`href="${bundle}.css"`);
  return bundle;
}

for (const [extension, type] of Object.entries(TYPES)) {
  test(`the bundle's .${extension} is content-named, kept a year, and sent brotli- or gzip-compressed`, async ({
    request,
  }) => {
    const path = `${await publishedBundle(request)}.${extension}`;
    const sizes: Record<string, number> = {};
    for (const [accepted, sent] of [
      ['br, gzip', 'br'],
      ['gzip', 'gzip'],
      ['identity', undefined],
    ] as const) {
      const response = await request.get(path, { headers: { 'accept-encoding': accepted } });
      expect(response.status(), `${path} with ${accepted}`).toBe(200);
      const headers = response.headers();
      expect(headers['content-encoding'], `${path} with ${accepted}`).toBe(sent);
      expect(headers['content-type']).toContain(type);
      expect(headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(headers['vary']).toContain('accept-encoding');
      sizes[accepted] = Number(headers['content-length']);
    }
    expect(sizes['br, gzip']).toBeLessThan(sizes['gzip']);
    expect(sizes['gzip']).toBeLessThan(sizes['identity']);
  });
}

test('only the content-named files are published, and a missing one is not kept', async ({ request }) => {
  const bundle = await publishedBundle(request);
  for (const stale of ['/pkg/wxgate.js', '/pkg/wxgate.wasm', '/pkg/wxgate.css']) {
    expect((await request.get(stale)).status(), stale).toBe(404);
  }
  const missing = await request.get(`${bundle}.map`);
  expect(missing.status()).toBe(404);
  expect(missing.headers()['cache-control'] ?? '').not.toContain('immutable');
  const page = await request.get('/');
  expect(page.headers()['cache-control'] ?? '').not.toContain('immutable');
});

// The browser bundle is sent precompressed: brotli to a browser that accepts it, else gzip, else as it is, each
// with the file's own content type (the `.br` and `.gz` copies `make site` writes; RFC 9110, section 8.4).
import { expect } from '@playwright/test';
import { test } from './support';

const FILES = [
  { path: '/pkg/wxgate.wasm', type: 'application/wasm' },
  { path: '/pkg/wxgate.js', type: 'text/javascript' },
  { path: '/pkg/wxgate.css', type: 'text/css' },
];

for (const { path, type } of FILES) {
  test(`${path} is sent brotli- or gzip-compressed as the browser accepts`, async ({ request }) => {
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
      sizes[accepted] = Number(headers['content-length']);
    }
    expect(sizes['br, gzip']).toBeLessThan(sizes['gzip']);
    expect(sizes['gzip']).toBeLessThan(sizes['identity']);
  });
}

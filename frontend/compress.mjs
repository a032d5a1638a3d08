// Writes a brotli (`.br`) and a gzip (`.gz`) copy beside each file named, at the best compression, for the server
// to send as they are: leptos_axum's static files (tower-http's ServeDir with `precompressed_br` and
// `precompressed_gzip`) answer `Accept-Encoding: br` or `gzip` with them (RFC 9110, section 8.4). Node's zlib only.
// Usage: node frontend/compress.mjs FILE...
import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

for (const file of process.argv.slice(2)) {
  const bytes = readFileSync(file);
  const brotli = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  writeFileSync(`${file}.br`, brotli);
  writeFileSync(`${file}.gz`, gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }));
}

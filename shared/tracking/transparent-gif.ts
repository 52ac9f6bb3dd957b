/**
 * The open pixel's answer: the canonical 43-byte transparent 1×1 GIF89a, byte by byte. It is the only
 * body `/v1/pixel` ever returns, whatever the token (docs/tracking.md).
 */
export const TRANSPARENT_GIF = Uint8Array.from([
  // Header: "GIF89a"
  0x47, 0x49, 0x46, 0x38, 0x39, 0x61,
  // Logical screen: width 1, height 1 (little-endian)
  0x01, 0x00, 0x01, 0x00,
  // Global colour table present (2 entries), background colour 0, no aspect ratio
  0x80, 0x00, 0x00,
  // Global colour table: black, white
  0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
  // Graphic control extension: transparency on, no delay, transparent colour index 0
  0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00,
  // Image descriptor: at (0, 0), 1×1, no local colour table, not interlaced
  0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
  // Image data: LZW minimum code size 2; one 2-byte sub-block (clear, index 0, end); block terminator
  0x02, 0x02, 0x44, 0x01, 0x00,
  // Trailer
  0x3b,
]);

export const PIXEL_HEADERS = {
  'Content-Type': 'image/gif',
  'Content-Length': String(TRANSPARENT_GIF.byteLength),
  // Every load must reach us (and nothing in between may keep a copy keyed to the recipient's token).
  'Cache-Control': 'no-store, no-cache, must-revalidate, private',
} as const;

/**
 * Draws the catalog logo (`__metadata__/logo.png`): a white cloud with a keyhole on a dark-blue rounded
 * square, our own drawing. `node --import tsx scripts/draw-logo.ts` rewrites the file; the catalog test
 * checks the committed file is what this draws. The PNG is written by hand (zlib for the pixel data) so
 * that no image package is needed.
 */
import { writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { deflateSync } from "node:zlib"

export const LOGO_SIZE = 256
/** Samples per pixel side, for anti-aliased edges. */
const SUPERSAMPLE = 4

type Rgb = readonly [number, number, number]
const BACKGROUND: Rgb = [22, 44, 84]
const CLOUD: Rgb = [255, 255, 255]
const KEYHOLE: Rgb = [240, 130, 40]

const inCircle = (x: number, y: number, cx: number, cy: number, r: number) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r

/** Rounded square with corner radius `r`, in unit coordinates (0..1). */
const inRoundedSquare = (x: number, y: number, r: number) => {
  const dx = Math.max(r - x, 0, x - (1 - r))
  const dy = Math.max(r - y, 0, y - (1 - r))
  return dx * dx + dy * dy <= r * r
}

const inCloud = (x: number, y: number) =>
  inCircle(x, y, 0.36, 0.56, 0.16) || inCircle(x, y, 0.55, 0.45, 0.21) || inCircle(x, y, 0.72, 0.6, 0.13) ||
  (x >= 0.22 && x <= 0.8 && y >= 0.56 && y <= 0.73) || inCircle(x, y, 0.22, 0.65, 0.08)

const inKeyhole = (x: number, y: number) =>
  inCircle(x, y, 0.52, 0.52, 0.065) || (Math.abs(x - 0.52) <= 0.028 + (y - 0.52) * 0.12 && y >= 0.52 && y <= 0.68)

/** The colour (and coverage) of one sample, or undefined outside the logo. */
const sample = (x: number, y: number): Rgb | undefined => {
  if (!inRoundedSquare(x, y, 0.18)) return undefined
  if (inKeyhole(x, y)) return KEYHOLE
  if (inCloud(x, y)) return CLOUD
  return BACKGROUND
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

const crc32 = (bytes: Buffer) => {
  let c = 0xffffffff
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

const chunk = (type: string, data: Buffer) => {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, "ascii"), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** The logo as PNG bytes (RGBA, 8 bits per channel). */
export const drawLogo = (): Buffer => {
  const size = LOGO_SIZE
  const rows = Buffer.alloc((size * 4 + 1) * size)
  const samples = SUPERSAMPLE * SUPERSAMPLE
  for (let py = 0; py < size; py++) {
    const row = py * (size * 4 + 1)
    rows[row] = 0 // filter type: none
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, covered = 0
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const colour = sample((px + (sx + 0.5) / SUPERSAMPLE) / size, (py + (sy + 0.5) / SUPERSAMPLE) / size)
          if (colour === undefined) continue
          r += colour[0]
          g += colour[1]
          b += colour[2]
          covered++
        }
      }
      const at = row + 1 + px * 4
      if (covered > 0) {
        rows[at] = Math.round(r / covered)
        rows[at + 1] = Math.round(g / covered)
        rows[at + 2] = Math.round(b / covered)
      }
      rows[at + 3] = Math.round((covered / samples) * 255)
    }
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 8 // bit depth
  header[9] = 6 // colour type: RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", Buffer.alloc(0))
  ])
}

export const LOGO_FILE = resolve(fileURLToPath(import.meta.url), "../../__metadata__/logo.png")

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(LOGO_FILE, drawLogo())
  process.stdout.write(`wrote ${LOGO_FILE}\n`)
}

// Camera-size JPEGs that EXIF turns or mirrors (a phone held upright writes orientation 6), read
// at a fraction of their size. libjpeg can decode a JPEG at 1/2, 1/4 or 1/8 straight from its DCT
// blocks, and sharp does so (shrink-on-load) where the resize comes before any turn in its
// pipeline; asked to turn first, as `oriented(...)` then `resize` asks, it decodes all 12-48 MP
// at full size and costs 2-3 times the CPU (docs/EVAL.md, "Camera-size files"). Here the resize
// is asked for first, in the stored frame, and the turn applies to the model-size result, which
// is what sharp's own autoOrient does: the same pixels, for a fraction of the work.
import sharp from 'sharp';
import { DecodeError, type Shape } from './decode.js';
import { swapsSides } from './jpeg-header.js';

/**
 * sharp's rule (pipeline.cc): shrink-on-load needs a shrink of at least 4 on both axes (it
 * leaves at least a factor of two to its own resize); below it the whole image is decoded anyway.
 */
const SHRINK_ON_LOAD_FROM = 4;

/** Whether the JPEG should go through scaledJpegPixels: turned or mirrored, and big enough for DCT scaling. */
export function turnedForShrinkOnLoad(storedWidth: number, storedHeight: number, orientation: number, shape: Shape): boolean {
  if (orientation < 2 || orientation > 8) return false;
  const turned = orientation >= 5;
  const w = turned ? shape.height : shape.width;
  const h = turned ? shape.width : shape.height;
  return Math.min(storedWidth / w, storedHeight / h) >= SHRINK_ON_LOAD_FROM;
}

/** The model's pixels (flattened on white, 8-bit sRGB, libvips' 'linear' as decode.ts reads them), resized before the turn. */
export async function scaledJpegPixels(
  input: Buffer,
  orientation: number,
  shape: Shape,
  opts: { failOn: 'none' | 'truncated' | 'error' | 'warning'; limitInputPixels: number | false },
): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  const turned = swapsSides(orientation);
  let image = sharp(input, { failOn: opts.failOn, limitInputPixels: opts.limitInputPixels, autoOrient: false })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .resize(turned ? shape.height : shape.width, turned ? shape.width : shape.height, { fit: 'fill', kernel: 'linear' });
  // After resize(), so that sharp keeps the turn after it (calling rotate() first would make it turn first).
  // sharp mirrors before it rotates, hence 5 = mirror + 270 and 7 = mirror + 90.
  switch (orientation) {
    case 2:
      image = image.flop();
      break;
    case 3:
      image = image.rotate(180);
      break;
    case 4:
      image = image.flip();
      break;
    case 5:
      image = image.flop().rotate(270);
      break;
    case 6:
      image = image.rotate(90);
      break;
    case 7:
      image = image.flop().rotate(90);
      break;
    case 8:
      image = image.rotate(270);
      break;
  }
  const { data, info } = await image.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.width !== shape.width || info.height !== shape.height || info.channels !== 3) {
    throw new DecodeError('unknown', 'could not convert image to RGB', `got ${info.width} x ${info.height} x ${info.channels}, wanted ${shape.width} x ${shape.height} x 3`);
  }
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

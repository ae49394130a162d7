import QRCode from 'qrcode';

/** A QR code as one SVG path in module units, so the UI draws it without any HTML string. */
export interface QrShape {
  /** Modules per side, quiet zone excluded. */
  readonly size: number;
  /** `M x y h1 v1 h-1 z` squares, one per dark module. */
  readonly path: string;
}

/**
 * Encodes `text` (our own join URL) and returns the dark modules as a path. Error correction
 * 'M' keeps the code small enough to scan from the back of a room off a projector while still
 * tolerating a glare spot.
 */
export function qrShape(text: string): QrShape {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const parts: string[] = [];
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) parts.push(`M${col} ${row}h1v1h-1z`);
    }
  }
  return { size: modules.size, path: parts.join('') };
}

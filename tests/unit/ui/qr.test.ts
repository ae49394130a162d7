import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { qrShape } from '../../../src/ui/qr.ts';

describe('qrShape', () => {
  it('draws one unit square per dark module of the encoded URL', () => {
    const url = 'http://192.168.1.20:8080/?room=KQ7RXA4';
    const shape = qrShape(url);
    const { modules } = QRCode.create(url, { errorCorrectionLevel: 'M' });
    expect(shape.size).toBe(modules.size);
    const squares = shape.path.match(/M\d+ \d+h1v1h-1z/g) ?? [];
    expect(squares.join('')).toBe(shape.path);
    expect(squares.length).toBe(modules.data.filter((bit) => bit === 1).length);
    // The top-left finder pattern's corner module is always dark.
    expect(shape.path.startsWith('M0 0h1v1h-1z')).toBe(true);
  });
});

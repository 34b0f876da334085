// npy.js - reads NumPy .npy files (format versions 1.0, 2.0 and 3.0).
//
// The header is a Python dict literal, e.g.
//   {'descr': '<f8', 'fortran_order': False, 'shape': (8, 2, 8, 2), }
// lmntk writes kernels as '<f8' [N, C, X, C] (or [2, N, 1, X, 1] for the
// asymmetric kernel with its flipped twin) and f0 as '<f4' [X, C].

const DTYPES = {
  '<f8': { bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
  '<f4': { bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  '<i8': { bytes: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  '<i4': { bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  '|u1': { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  '|i1': { bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
};

export class NpyError extends Error {}

// Parses the header dict literal; returns {descr, fortran_order, shape}.
export function parseHeader(text) {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) throw new NpyError('npy: header is not a dict');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(t);
  const order = /'fortran_order'\s*:\s*(True|False)/.exec(t);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(t);
  if (!descr || !order || !shape) throw new NpyError('npy: header lacks descr, fortran_order or shape');
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const out = [];
  for (const d of dims) {
    if (!/^\d+$/.test(d)) throw new NpyError(`npy: bad dimension '${d}'`);
    out.push(Number(d));
  }
  return { descr: descr[1], fortran_order: order[1] === 'True', shape: out };
}

// Parses an ArrayBuffer holding a whole .npy file.
// Returns {descr, shape, data} with data a typed array in C order.
export function parseNpy(buffer) {
  const bytes = new Uint8Array(buffer);
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((m, i) => bytes[i] !== m)) throw new NpyError('npy: not a .npy file');
  const major = bytes[6];
  const view = new DataView(buffer);
  let hlen, start;
  if (major === 1) { hlen = view.getUint16(8, true); start = 10; }
  else if (major === 2 || major === 3) { hlen = view.getUint32(8, true); start = 12; }
  else throw new NpyError(`npy: unsupported format version ${major}`);
  if (start + hlen > bytes.length) throw new NpyError('npy: truncated header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + hlen));
  const h = parseHeader(header);
  if (h.fortran_order) throw new NpyError('npy: Fortran order is not supported');
  const dt = DTYPES[h.descr];
  if (!dt) throw new NpyError(`npy: unsupported dtype '${h.descr}'`);
  const count = h.shape.reduce((a, b) => a * b, 1);
  const offset = start + hlen;
  if (offset + count * dt.bytes > bytes.length) throw new NpyError('npy: truncated data');
  // Typed arrays need an aligned offset; copy when it is not.
  let data;
  if ((buffer.byteOffset || 0) === 0 && offset % dt.bytes === 0) data = dt.make(buffer, offset, count);
  else data = dt.make(buffer.slice(offset, offset + count * dt.bytes), 0, count);
  return { descr: h.descr, shape: h.shape, data };
}

// A kernel .npy as lmntk writes it, as one or two dense square-or-not
// matrices over (example, output) rows and columns:
//   [N, C, X, C]        -> one matrix, rows N*C, cols X*C
//   [2, N, 1, X, 1]     -> K and K_flip (asymmetric SignGD, binary mode)
// Returns {n, c, x, mats: [Float64Array...], names: [...], asym}.
export function kernelMatrices(npy) {
  const s = npy.shape;
  if (s.length === 4) {
    const [n, c, x, c2] = s;
    if (c !== c2) throw new NpyError(`kernel: output dimensions differ (${c} vs ${c2})`);
    return { n, c, x, asym: false, mats: [Float64Array.from(npy.data)], names: ['K'] };
  }
  if (s.length === 5 && s[0] === 2) {
    const [, n, c, x, c2] = s;
    if (c !== c2) throw new NpyError(`kernel: output dimensions differ (${c} vs ${c2})`);
    const cells = n * c * x * c;
    const all = Float64Array.from(npy.data);
    return { n, c, x, asym: true, mats: [all.subarray(0, cells), all.subarray(cells, 2 * cells)],
      names: ['K', 'K_flip'] };
  }
  throw new NpyError(`kernel: unexpected shape (${s.join(', ')}); want [N, C, X, C] or [2, N, 1, X, 1]`);
}

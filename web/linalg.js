// linalg.js - the little linear algebra the dashboard needs: eigenvalues of
// a symmetric matrix by the cyclic Jacobi method, and spectrum summaries.
// Plain functions on Float64Array (row-major), no DOM, so that
// eigen-worker.js can run them off the main thread.

// Eigenvalues of the symmetric n x n matrix a (row-major; only the upper
// triangle is read), sorted in decreasing order.  Cyclic Jacobi with the
// threshold strategy of Numerical Recipes' jacobi(): O(n^3) per sweep, a
// handful of sweeps; exact to rounding for the sizes a few-shot kernel has.
export function jacobiEigenvalues(a, n, maxSweeps = 60) {
  const A = Float64Array.from(a);
  const d = new Float64Array(n), b = new Float64Array(n), z = new Float64Array(n);
  let scale = 0;
  for (let i = 0; i < n; i++) {
    d[i] = b[i] = A[i * n + i];
    for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(A[i * n + j]));
  }
  if (scale === 0) return d;
  let sweeps = 0;
  for (let sweep = 1; sweep <= maxSweeps; sweep++) {
    let sm = 0;
    for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) sm += Math.abs(A[p * n + q]);
    if (sm <= 1e-300 || sm < 1e-17 * scale) break;
    sweeps = sweep;
    const tresh = sweep < 4 ? (0.2 * sm) / (n * n) : 0;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        const g = 100 * Math.abs(apq);
        if (sweep > 4 && Math.abs(d[p]) + g === Math.abs(d[p]) && Math.abs(d[q]) + g === Math.abs(d[q])) {
          A[p * n + q] = 0;
          continue;
        }
        if (Math.abs(apq) <= tresh) continue;
        let h = d[q] - d[p];
        let t;
        if (Math.abs(h) + g === Math.abs(h)) t = apq / h;
        else {
          const theta = (0.5 * h) / apq;
          t = 1 / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
          if (theta < 0) t = -t;
        }
        const c = 1 / Math.sqrt(1 + t * t), s = t * c, tau = s / (1 + c);
        h = t * apq;
        z[p] -= h; z[q] += h; d[p] -= h; d[q] += h;
        A[p * n + q] = 0;
        const rot = (i, j, k, l) => {
          const g2 = A[i * n + j], h2 = A[k * n + l];
          A[i * n + j] = g2 - s * (h2 + g2 * tau);
          A[k * n + l] = h2 + s * (g2 - h2 * tau);
        };
        for (let j = 0; j < p; j++) rot(j, p, j, q);
        for (let j = p + 1; j < q; j++) rot(p, j, j, q);
        for (let j = q + 1; j < n; j++) rot(p, j, q, j);
      }
    }
    for (let p = 0; p < n; p++) { b[p] += z[p]; d[p] = b[p]; z[p] = 0; }
  }
  const out = Array.from(d).sort((x, y) => y - x);
  out.sweeps = sweeps;
  return out;
}

// (A + A^T) / 2 of a square row-major matrix.
export function symmetrize(a, n) {
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
  return s;
}

// Largest |A_ij - A_ji| relative to max |A_ij|: 0 for a symmetric matrix.
export function asymmetry(a, n) {
  let m = 0, d = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    m = Math.max(m, Math.abs(a[i * n + j]));
    if (j > i) d = Math.max(d, Math.abs(a[i * n + j] - a[j * n + i]));
  }
  return m > 0 ? d / m : 0;
}

// Summaries of a spectrum (eigenvalues, any order).  The effective rank is
// exp of the entropy of lambda / sum(lambda) over the positive eigenvalues
// (Roy & Vetterli 2007); the participation ratio is (sum l)^2 / sum l^2.
export function spectrumStats(eig) {
  const pos = eig.filter((x) => x > 0);
  const sum = pos.reduce((a, b) => a + b, 0);
  const sum2 = pos.reduce((a, b) => a + b * b, 0);
  let h = 0;
  for (const l of pos) { const p = l / sum; if (p > 0) h -= p * Math.log(p); }
  const max = eig.length ? Math.max(...eig) : NaN;
  const min = eig.length ? Math.min(...eig) : NaN;
  return {
    n: eig.length,
    trace: eig.reduce((a, b) => a + b, 0),
    max, min,
    negative: eig.length - pos.length,
    effectiveRank: sum > 0 ? Math.exp(h) : 0,
    participationRatio: sum2 > 0 ? (sum * sum) / sum2 : 0,
  };
}

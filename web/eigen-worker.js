// eigen-worker.js - runs the Jacobi eigen-solver off the main thread for
// large kernels (a module worker: new Worker(url, {type: 'module'})).
import { jacobiEigenvalues } from './linalg.js';

self.onmessage = (e) => {
  const { a, n } = e.data;
  const eig = jacobiEigenvalues(a, n);
  self.postMessage({ eig: Array.from(eig), sweeps: eig.sweeps });
};

/* jvp.h - directional derivatives of the model outputs, <∇f(x; θ0), Δ>,
 * from the factors a backward pass keeps (no forward-mode engine needed).
 *
 * For a linear weight the per-example gradient is Σ_t δ_t x_tᵀ over the
 * example's rows, so <g, ΔW> = Σ_t δ_t · (ΔW x_t): one GEMM Y = X ΔWᵀ over the
 * batch's rows per weight (the cost of a forward through that layer), then a
 * dot product per replica.  Biases, LayerNorms, embeddings and the heads are
 * dot products with the stored vectors.
 *
 * Cost of lm_pass_jvp for a batch, in units of one forward F: the pass
 * itself (lm_outputs_run with backward: 1 F forward, about 2C F for the
 * backward of R = C replicas keeping all factors) plus 1 F of weight GEMMs,
 * so 2 + 2C.  Evaluating the linearized model f_lin = f0 + <g, θ - θ0>
 * costs that; a training step of it adds the VJP at θ0 (a 2 F backward),
 * (4 + 2C) F against a network step's 3 F: 2.7x for C = 2. */
#ifndef LM_TRAIN_JVP_H
#define LM_TRAIN_JVP_H

#include "model/outputs.h"

/* out[s * R + r] = <∂f_r(s)/∂θ, tangent> for every sequence s and replica r
 * of the pass.  tangent has the model's layout; tensors with include[t] == 0
 * are skipped (include NULL: all).  The key bias contributes nothing (its
 * gradient is exactly zero). */
void lm_pass_jvp(const lm_pass *p, const float *tangent, const unsigned char *include,
                 double *out);

/* The factors of an encoder linear weight or bias tensor in a pass: input
 * rows X [T, in] and delta rows D [T, out] of replica r, so that its
 * per-example gradient is Σ over the example's rows of D_t X_tᵀ (weight)
 * or D_t (bias). */
void lm_pass_linear_factors(const lm_pass *p, int tensor, int r, const float **X, const float **D,
                            int *in, int *out);

#endif

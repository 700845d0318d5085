// RMSNorm (as in DeepSeek / LLaMA): y = x / sqrt(mean(x^2) + eps) * w. Forward and backward side by side.
#pragma once

#include "core/tensor.h"

namespace moe {

// x [N,d], w [1,d]. Writes y [N,d] and rstd [N] (1/sqrt(mean(x^2)+eps), kept for the backward pass).
template <class T>
void rmsnorm_forward(const MatT<T>& x, const MatT<T>& w, T eps, MatT<T>& y, VecT<T>& rstd);

// dx is overwritten; dw [1,d] is accumulated into.
template <class T>
void rmsnorm_backward(const MatT<T>& x, const MatT<T>& w, const VecT<T>& rstd, const MatT<T>& dy, MatT<T>& dx,
                      MatT<T>& dw);

}  // namespace moe

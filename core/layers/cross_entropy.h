// Softmax cross-entropy over the last axis, averaged over rows.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <vector>

namespace moe {

// logits [N,C], targets [N] in [0,C). Writes probs [N,C] (softmax, kept for backward) and returns the mean loss
// (accumulated in double). If row_loss is non-null it receives each row's loss.
template <class T>
double cross_entropy_forward(const MatT<T>& logits, const std::vector<int32_t>& targets, MatT<T>& probs,
                             std::vector<double>* row_loss = nullptr);

// dlogits = scale * (probs - onehot(targets)) / N  (overwritten). scale is the loss weight (1 for the main loss).
template <class T>
void cross_entropy_backward(const MatT<T>& probs, const std::vector<int32_t>& targets, T scale, MatT<T>& dlogits);

}  // namespace moe

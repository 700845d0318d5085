// Token (and learned position) embedding: a table lookup forward, a scatter-add backward.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <vector>

namespace moe {

// out[i] = table[ids[i]]. table [V,d], out [N,d].
template <class T>
void embedding_forward(const MatT<T>& table, const std::vector<int32_t>& ids, MatT<T>& out);

// dtable[ids[i]] += dout[i], in index order (deterministic).
template <class T>
void embedding_backward(const std::vector<int32_t>& ids, const MatT<T>& dout, MatT<T>& dtable);

}  // namespace moe

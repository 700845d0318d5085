// Dense tensor types used throughout the engine.
//
// Everything is a row-major Eigen matrix: a batch of tokens is [tokens, features], a linear layer's weight is
// [out_features, in_features] (the Hugging Face / PyTorch layout, so checkpoints map one to one).
// Layers are templates on the scalar so the same code runs in float (training) and double (gradient checks).
#pragma once

#include <Eigen/Core>

#include <cstdint>

namespace moe {

template <class T>
using MatT = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using VecT = Eigen::Matrix<T, Eigen::Dynamic, 1>;

// Views on a matrix or on a contiguous block of its rows (e.g. one expert's rows of a permuted buffer).
template <class T>
using CRef = Eigen::Ref<const MatT<T>>;
template <class T>
using MRef = Eigen::Ref<MatT<T>>;

using Mat = MatT<float>;
using Vec = VecT<float>;
using MatD = MatT<double>;

}  // namespace moe
